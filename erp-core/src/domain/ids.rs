//! Row ids. Each entity has its own id type so an order id cannot be passed where a product id is
//! expected.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw database id.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

id_type!(
    /// A customer's id.
    CustomerId
);
id_type!(
    /// A parked sale's id (a cart put aside at a till, to be recalled by any till).
    ParkedSaleId
);
id_type!(
    /// A product's id.
    ProductId
);
id_type!(
    /// An order's id, also its number as shown to people.
    OrderId
);
id_type!(
    /// A user's id.
    UserId
);
id_type!(
    /// A stock movement's id.
    MovementId
);
id_type!(
    /// A status history entry's id.
    HistoryId
);
id_type!(
    /// An outbox event's id: unique, increasing in commit order per backend.
    EventId
);
id_type!(
    /// A till's id.
    RegisterId
);
id_type!(
    /// A cash session's id (one opening and closing of a till's drawer).
    CashSessionId
);
id_type!(
    /// A payment's (or refund's) id.
    PaymentId
);
id_type!(
    /// A cash movement's id (cash put into or taken out of a drawer).
    CashMovementId
);
id_type!(
    /// A return's id.
    ReturnId
);
