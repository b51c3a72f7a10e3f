//! Money at the counter on every backend: counter sales, tenders and change, discounts and
//! approval, cash sessions and their reports, payments on orders, returns and refunds.

use erp_core::domain::{
    ApproverCredentials, CashMovementKind, Channel, CustomerId, Discount, Disposition,
    IdempotencyKey, Money, MovementKind, Name, NewCounterSale, NewOrderPayment, NewRegister,
    NewReturn, OrderStatus, PageRequest, PaidOrder, Percent, Quantity, Reason, RegisterCode,
    RegisterId, ReportKind, ReturnLineRequest, ReturnOutcome, Role, SaleLine, Sku, Tender,
    TenderLine,
};
use erp_core::{Actor, Erp, Error};

use crate::fixture::{PASSWORD, Shop};

fn m(text: &str) -> Money {
    Money::parse(text).unwrap()
}

fn key(text: &str) -> IdempotencyKey {
    IdempotencyKey::parse(text).unwrap()
}

fn tender(t: Tender, amount: &str) -> TenderLine {
    TenderLine::new(t, m(amount), None).unwrap()
}

fn pct(text: &str) -> Discount {
    Discount::Percent(Percent::parse(text).unwrap())
}

fn line(sku: &str, quantity: i64) -> SaleLine {
    SaleLine {
        sku: Sku::parse(sku).unwrap(),
        quantity: Quantity::new(quantity).unwrap(),
        unit_price: None,
        discount: None,
    }
}

struct Till {
    shop: Shop,
    register: RegisterId,
    walk_in: CustomerId,
}

impl Till {
    /// A shop with TEA (4.90 x 10) and MUG (12.00 x 5), a register and a walk-in customer.
    async fn new(erp: Erp) -> Till {
        let shop = Shop::new(erp);
        shop.product("TEA", "4.90", 10).await;
        shop.product("MUG", "12.00", 5).await;
        let walk_in = shop.customer("Walk in").await.id;
        let register = register(&shop, "CAIXA-01").await;
        Till {
            shop,
            register,
            walk_in,
        }
    }

    async fn open(&self, actor: &Actor, float: &str) {
        self.shop
            .erp
            .open_cash_session(actor, self.register, m(float))
            .await
            .unwrap();
    }

    fn sale(
        &self,
        lines: Vec<SaleLine>,
        discount: Option<Discount>,
        tenders: Vec<TenderLine>,
        k: &str,
        approver: Option<ApproverCredentials>,
    ) -> NewCounterSale {
        NewCounterSale::new(
            self.register,
            self.walk_in,
            lines,
            discount,
            tenders,
            key(k),
            None,
            approver,
        )
        .unwrap()
    }

    async fn sell(&self, actor: &Actor, sale: &NewCounterSale) -> Result<PaidOrder, Error> {
        self.shop.erp.sell_at_counter(actor, sale).await
    }

    async fn orders(&self) -> u64 {
        self.shop
            .erp
            .orders(&self.shop.admin, &Default::default())
            .await
            .unwrap()
            .total
    }
}

async fn register(shop: &Shop, code: &str) -> RegisterId {
    shop.erp
        .create_register(
            &shop.admin,
            NewRegister {
                code: RegisterCode::parse(code).unwrap(),
                name: Name::parse("Front counter").unwrap(),
            },
        )
        .await
        .unwrap()
        .id
}

pub async fn counter_sale_is_born_delivered_paid_and_takes_stock_with_a_sale_movement(erp: Erp) {
    let till = Till::new(erp).await;
    let ana = till.shop.user("ana", Role::Operator).await;
    till.open(&ana, "100.00").await;
    // 2 x 4.90 + 12.00 = 21.80: 5.00 by PIX, 20.00 cash, 3.20 change.
    let sale = till.sale(
        vec![line("TEA", 2), line("MUG", 1)],
        None,
        vec![tender(Tender::Pix, "5.00"), tender(Tender::Cash, "20.00")],
        "s1",
        None,
    );
    let sold = till.sell(&ana, &sale).await.unwrap();
    let order = &sold.order;
    assert!(!sold.replayed);
    assert_eq!(order.status, OrderStatus::Delivered);
    assert_eq!(order.channel, Channel::Counter);
    assert_eq!(
        (order.total, order.paid, order.change),
        (m("21.80"), m("21.80"), m("3.20"))
    );
    assert_eq!(order.balance_due(), Money::ZERO);
    assert_eq!(sold.payments.len(), 2);
    assert_eq!(
        till.shop.stock("TEA").await,
        (8, 0),
        "gone, nothing reserved"
    );
    assert_eq!(till.shop.stock("MUG").await, (4, 0));
    let history = till.shop.erp.order_history(&ana, order.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].from, history[0].to),
        (None, OrderStatus::Delivered)
    );
    let tea = till
        .shop
        .erp
        .product_by_sku(&ana, &Sku::parse("TEA").unwrap())
        .await
        .unwrap();
    let moves = till
        .shop
        .erp
        .movements(&ana, tea.id, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(moves.items[0].kind, MovementKind::Sale);
    assert_eq!(
        (moves.items[0].on_hand_delta, moves.items[0].reserved_delta),
        (-2, 0)
    );
    let stored = till.shop.erp.order(&ana, order.id).await.unwrap();
    assert_eq!(&stored, order, "what the sale returns is what is stored");
    let payments = till.shop.erp.payments(&ana, order.id).await.unwrap();
    assert_eq!(payments, sold.payments);

    // The same sale again is a replay; the same key for another sale a conflict.
    let again = till.sell(&ana, &sale).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.order.id, order.id);
    assert_eq!(again.payments, sold.payments);
    let other = till.sale(
        vec![line("TEA", 3)],
        None,
        vec![tender(Tender::Cash, "20")],
        "s1",
        None,
    );
    assert!(matches!(
        till.sell(&ana, &other).await,
        Err(Error::IdempotencyConflict { .. })
    ));
    assert_eq!(till.shop.stock("TEA").await, (8, 0));
    till.shop.assert_consistent().await;
}

pub async fn counter_sale_bad_input_is_refused_and_changes_nothing(erp: Erp) {
    let till = Till::new(erp).await;
    let ana = till.shop.user("ana", Role::Operator).await;
    let bob = till.shop.user("bob", Role::Operator).await;
    till.shop.user("boss", Role::Manager).await;
    let tea = || vec![line("TEA", 2)]; // 9.80
    let cash = |a: &str| vec![tender(Tender::Cash, a)];

    // No open session on the register.
    let sale = till.sale(tea(), None, cash("9.80"), "a", None);
    let err = till.sell(&ana, &sale).await.unwrap_err();
    assert_eq!(err.code(), "no_open_session");
    till.open(&bob, "50.00").await;
    // Someone else's session.
    let err = till.sell(&ana, &sale).await.unwrap_err();
    assert_eq!(err.code(), "session_not_yours");

    let refused: Vec<(NewCounterSale, &str)> = vec![
        (
            till.sale(tea(), None, cash("9.79"), "b", None),
            "payment_short",
        ),
        (
            till.sale(
                tea(),
                None,
                vec![tender(Tender::Debit, "5"), tender(Tender::Pix, "5")],
                "c",
                None,
            ),
            "overpayment",
        ),
        (
            till.sale(
                vec![SaleLine {
                    discount: Some(Discount::amount(m("9.81")).unwrap()),
                    ..line("TEA", 2)
                }],
                None,
                cash("1"),
                "d",
                None,
            ),
            "validation_failed",
        ),
        (
            till.sale(tea(), Some(pct("10.01")), cash("9.80"), "e", None),
            "approval_required",
        ),
        (
            till.sale(
                vec![SaleLine {
                    unit_price: Some(m("1.00")),
                    ..line("TEA", 2)
                }],
                None,
                cash("9.80"),
                "f",
                None,
            ),
            "approval_required",
        ),
        (
            till.sale(
                tea(),
                Some(pct("50")),
                cash("9.80"),
                "g",
                Some(ApproverCredentials::new("boss", "wrong password!")),
            ),
            "approval_required",
        ),
        (
            till.sale(
                tea(),
                Some(pct("50")),
                cash("9.80"),
                "h",
                Some(ApproverCredentials::new("ana", PASSWORD)),
            ),
            "approval_required",
        ),
        (
            till.sale(vec![line("TEA", 11)], None, cash("60"), "i", None),
            "insufficient_stock",
        ),
    ];
    for (sale, code) in &refused {
        let err = till.sell(&bob, sale).await.unwrap_err();
        assert_eq!(err.code(), *code, "{sale:?}: {err}");
    }
    // Refused at the edge: zero tenders, percentages over 100.
    assert!(TenderLine::new(Tender::Cash, Money::ZERO, None).is_err());
    assert!(Percent::parse("100.01").is_err());
    assert_eq!(till.orders().await, 0, "nothing was sold");
    assert_eq!(till.shop.stock("TEA").await, (10, 0));

    // A manager's login approves; the approver is recorded.
    let approved = till.sale(
        tea(),
        Some(pct("50")),
        cash("4.90"),
        "j",
        Some(ApproverCredentials::new("boss", PASSWORD)),
    );
    let sold = till.sell(&bob, &approved).await.unwrap();
    let boss = till.shop.erp.authenticate("boss", PASSWORD).await.unwrap();
    assert_eq!(sold.order.approved_by, boss.user_id());
    assert_eq!(sold.order.total, m("4.90"));
    till.shop.assert_consistent().await;
}

pub async fn discounts_round_half_even_and_totals_are_sums_of_printed_figures(erp: Erp) {
    let till = Till::new(erp).await;
    till.open(&till.shop.admin, "0").await;
    let mut tea = line("TEA", 3); // 14.70
    tea.discount = Some(pct("10")); // 1.47
    let mut mug = line("MUG", 1); // 12.00
    mug.discount = Some(Discount::amount(m("1.00")).unwrap());
    // Subtotal 13.23 + 11.00 = 24.23; 5 % is 121.15 cents: 1.21.
    let sale = till.sale(
        vec![tea, mug],
        Some(pct("5")),
        vec![tender(Tender::Credit, "23.02")],
        "k",
        None,
    );
    let sold = till.sell(&till.shop.admin, &sale).await.unwrap();
    let order = sold.order;
    assert_eq!(order.lines[0].discount, m("1.47"));
    assert_eq!(order.lines[0].net(), m("13.23"));
    assert_eq!(order.lines[1].net(), m("11.00"));
    assert_eq!(order.discount, m("1.21"));
    assert_eq!(order.total, m("23.02"));
    let printed: i64 =
        order.lines.iter().map(|l| l.net().cents()).sum::<i64>() - order.discount.cents();
    assert_eq!(printed, order.total.cents());
    let paid: i64 = order.line_paid_amounts().iter().map(|p| p.cents()).sum();
    assert_eq!(
        paid,
        order.total.cents(),
        "the sale discount is shared out exactly"
    );
    till.shop.assert_consistent().await;
}

pub async fn a_cash_session_expects_float_plus_in_minus_out_plus_taken_less_change(erp: Erp) {
    let till = Till::new(erp).await;
    let ana = till.shop.user("ana", Role::Operator).await;
    let bob = till.shop.user("bob", Role::Operator).await;
    let erp = &till.shop.erp;
    till.open(&ana, "100.00").await;
    let err = erp
        .open_cash_session(&bob, till.register, m("10"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "session_already_open");
    // 9.80 paid with 50.00 cash: 40.20 change.
    let sale = till.sale(
        vec![line("TEA", 2)],
        None,
        vec![tender(Tender::Cash, "50")],
        "x",
        None,
    );
    till.sell(&ana, &sale).await.unwrap();
    let why = Reason::parse("more coins").unwrap();
    erp.move_cash(
        &ana,
        till.register,
        CashMovementKind::In,
        m("10"),
        why.clone(),
    )
    .await
    .unwrap();
    let err = erp
        .move_cash(
            &ana,
            till.register,
            CashMovementKind::Out,
            m("129.81"),
            why.clone(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "insufficient_cash");
    let err = erp
        .move_cash(
            &bob,
            till.register,
            CashMovementKind::Out,
            m("1"),
            why.clone(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "session_not_yours");
    erp.move_cash(&ana, till.register, CashMovementKind::Out, m("30"), why)
        .await
        .unwrap();
    let session = erp
        .cash_sessions(&ana, till.register, PageRequest::default())
        .await
        .unwrap()
        .items[0]
        .clone();
    let x = erp.session_report(&ana, session.id).await.unwrap();
    assert_eq!(x.kind, ReportKind::X);
    // 100 + 10 - 30 + 50 - 40.20
    assert_eq!(x.tenders[0].expected, m("89.80"));
    assert_eq!(x.totals.sales, 1);
    assert_eq!(erp.cash_movements(&ana, session.id).await.unwrap().len(), 2);

    // Bob may not close Ana's session; counting is required; a 0.50 shortage is recorded.
    let err = erp
        .close_cash_session(&bob, session.id, &[(Tender::Cash, m("89.30"))])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "session_not_yours");
    assert!(erp.close_cash_session(&ana, session.id, &[]).await.is_err());
    let z = erp
        .close_cash_session(&ana, session.id, &[(Tender::Cash, m("89.30"))])
        .await
        .unwrap();
    assert_eq!(z.kind, ReportKind::Z);
    assert_eq!(z.tenders[0].counted, Some(m("89.30")));
    assert_eq!(z.tenders[0].difference.unwrap().to_string(), "-0.50");
    assert!(z.render(42).contains("NOT A FISCAL DOCUMENT"));
    // Closed is closed: no second close, no sale, no cash movement.
    let err = erp
        .close_cash_session(&ana, session.id, &[(Tender::Cash, m("89.30"))])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "session_closed");
    let later = till.sale(
        vec![line("TEA", 1)],
        None,
        vec![tender(Tender::Cash, "5")],
        "y",
        None,
    );
    assert_eq!(
        till.sell(&ana, &later).await.unwrap_err().code(),
        "no_open_session"
    );
    // A manager closes anyone's session.
    till.open(&bob, "20").await;
    let boss = till.shop.user("boss", Role::Manager).await;
    let open = erp
        .cash_sessions(&boss, till.register, PageRequest::default())
        .await
        .unwrap()
        .items[0]
        .clone();
    erp.close_cash_session(&boss, open.id, &[(Tender::Cash, m("20"))])
        .await
        .unwrap();
    till.shop.assert_consistent().await;
}

pub async fn delivery_orders_are_paid_later_up_to_their_balance(erp: Erp) {
    let till = Till::new(erp).await;
    let erp = &till.shop.erp;
    let admin = &till.shop.admin;
    let placed = till
        .shop
        .order(till.walk_in, &[("MUG", 2)], "o1")
        .await
        .unwrap()
        .order; // 24.00
    assert_eq!(placed.balance_due(), m("24.00"));
    let pay = |tenders| NewOrderPayment::new(placed.id, tenders, None).unwrap();
    let paid = erp
        .pay_order(admin, &pay(vec![tender(Tender::Pix, "10")]))
        .await
        .unwrap();
    assert_eq!(
        (paid.order.paid, paid.order.balance_due()),
        (m("10.00"), m("14.00"))
    );
    for over in [
        tender(Tender::Debit, "14.01"),
        tender(Tender::Cash, "14.01"),
    ] {
        let err = erp.pay_order(admin, &pay(vec![over])).await.unwrap_err();
        assert_eq!(err.code(), "overpayment");
    }
    let paid = erp
        .pay_order(admin, &pay(vec![tender(Tender::Cash, "14")]))
        .await
        .unwrap();
    assert_eq!(paid.order.balance_due(), Money::ZERO);
    assert_eq!(erp.order(admin, placed.id).await.unwrap().paid, m("24.00"));
    let cancelled = till
        .shop
        .order(till.walk_in, &[("TEA", 1)], "o2")
        .await
        .unwrap()
        .order;
    erp.cancel_order(admin, cancelled.id, None).await.unwrap();
    let err = erp
        .pay_order(
            admin,
            &NewOrderPayment::new(cancelled.id, vec![tender(Tender::Cash, "1")], None).unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "order_not_eligible");
    till.shop.assert_consistent().await;
}

fn give_back(sku: &str, quantity: i64, restock: bool) -> ReturnLineRequest {
    ReturnLineRequest {
        sku: Sku::parse(sku).unwrap(),
        quantity: Quantity::new(quantity).unwrap(),
        disposition: if restock {
            Disposition::Restock
        } else {
            Disposition::WriteOff(Reason::parse("broken").unwrap())
        },
    }
}

pub async fn returns_never_exceed_what_was_sold_or_paid(erp: Erp) {
    let till = Till::new(erp).await;
    let erp = &till.shop.erp;
    let ana = till.shop.user("ana", Role::Operator).await;
    till.shop.user("boss", Role::Manager).await;
    let boss = || Some(ApproverCredentials::new("boss", PASSWORD));
    till.open(&ana, "50").await;
    // 3 x TEA = 14.70, 10 % off the sale: 13.23, paid 3.23 cash + 10 debit.
    let sale = till.sale(
        vec![line("TEA", 3)],
        Some(pct("10")),
        vec![tender(Tender::Cash, "3.23"), tender(Tender::Debit, "10")],
        "r",
        None,
    );
    let order = till.sell(&ana, &sale).await.unwrap().order;
    let ret = |lines, refunds, register, k: &str, approver| {
        NewReturn::new(order.id, lines, refunds, register, key(k), None, approver).unwrap()
    };
    let record = |request: NewReturn| {
        let ana = ana.clone();
        async move { erp.record_return(&ana, &request).await }
    };
    let reg = Some(till.register);

    // An operator alone may not take a return.
    let err = record(ret(
        vec![give_back("TEA", 1, true)],
        vec![],
        reg,
        "r0",
        None,
    ))
    .await
    .unwrap_err();
    assert_eq!(err.code(), "approval_required");
    // One unit is worth 4.41 of the 13.23 paid.
    let err = record(ret(
        vec![give_back("TEA", 1, true)],
        vec![tender(Tender::Cash, "4.42")],
        reg,
        "r1",
        boss(),
    ))
    .await
    .unwrap_err();
    assert_eq!(err.code(), "refund_exceeds_paid");
    let err = record(ret(
        vec![give_back("TEA", 1, true)],
        vec![tender(Tender::Cash, "4.41")],
        None,
        "r1",
        boss(),
    ))
    .await
    .unwrap_err();
    assert_eq!(
        err.code(),
        "validation_failed",
        "cash refunds come from a till"
    );
    let err = record(ret(
        vec![give_back("TEA", 4, true)],
        vec![],
        reg,
        "r1",
        boss(),
    ))
    .await
    .unwrap_err();
    assert_eq!(err.code(), "return_exceeds_sold");
    let ReturnOutcome {
        sale_return: first,
        replayed,
    } = record(ret(
        vec![give_back("TEA", 1, true)],
        vec![tender(Tender::Cash, "4.41")],
        reg,
        "r1",
        boss(),
    ))
    .await
    .unwrap();
    assert!(!replayed);
    assert_eq!(first.refund_total, m("4.41"));
    assert_eq!(
        till.shop.stock("TEA").await,
        (8, 0),
        "one back on the shelf"
    );
    // A retry is a replay; the key with another return a conflict.
    let again = record(ret(
        vec![give_back("TEA", 1, true)],
        vec![tender(Tender::Cash, "4.41")],
        reg,
        "r1",
        boss(),
    ))
    .await
    .unwrap();
    assert!(again.replayed);
    assert_eq!(again.sale_return.id, first.id);
    let err = record(ret(
        vec![give_back("TEA", 2, true)],
        vec![],
        reg,
        "r1",
        boss(),
    ))
    .await
    .unwrap_err();
    assert_eq!(err.code(), "idempotency_conflict");
    // The two others, written off, refunded by card: 8.82 at most.
    let err = record(ret(
        vec![give_back("TEA", 2, false)],
        vec![tender(Tender::Debit, "8.83")],
        reg,
        "r2",
        boss(),
    ))
    .await
    .unwrap_err();
    assert_eq!(err.code(), "refund_exceeds_paid");
    let last = record(ret(
        vec![give_back("TEA", 2, false)],
        vec![tender(Tender::Debit, "8.82")],
        reg,
        "r2",
        boss(),
    ))
    .await
    .unwrap();
    assert_eq!(
        till.shop.stock("TEA").await,
        (8, 0),
        "written off, not restocked"
    );
    assert_eq!(
        last.sale_return.lines[0].reason.as_ref().unwrap().as_str(),
        "broken"
    );
    let err = record(ret(
        vec![give_back("TEA", 1, true)],
        vec![],
        reg,
        "r3",
        boss(),
    ))
    .await
    .unwrap_err();
    assert_eq!(err.code(), "return_exceeds_sold");
    let stored = erp.order(&ana, order.id).await.unwrap();
    assert_eq!((stored.refunded, stored.lines[0].returned), (m("13.23"), 3));
    assert_eq!(erp.returns(&ana, order.id).await.unwrap().len(), 2);

    // Only delivered orders take returns.
    let pending = till
        .shop
        .order(till.walk_in, &[("MUG", 1)], "p")
        .await
        .unwrap()
        .order;
    let err = erp
        .record_return(
            &till.shop.admin,
            &NewReturn::new(
                pending.id,
                vec![give_back("MUG", 1, true)],
                vec![],
                None,
                key("p1"),
                None,
                None,
            )
            .unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "order_not_eligible");
    till.shop.assert_consistent().await;
}

pub async fn till_roles_follow_the_matrix(erp: Erp) {
    let till = Till::new(erp).await;
    let erp = &till.shop.erp;
    let viewer = till.shop.user("vera", Role::Viewer).await;
    let ana = till.shop.user("ana", Role::Operator).await;
    // Operators open their own till, sell and add customers; viewers do none of it.
    for (actor, allowed) in [(&viewer, false), (&ana, true)] {
        let opened = erp.open_cash_session(actor, till.register, m("1")).await;
        assert_eq!(opened.is_ok(), allowed, "{opened:?}");
        let customer = erp
            .create_customer(
                actor,
                erp_core::input::CustomerInput {
                    name: "Zé".into(),
                    email: format!("ze-{}@example.com", actor.username()),
                    ..Default::default()
                }
                .parse()
                .unwrap(),
            )
            .await;
        assert_eq!(customer.is_ok(), allowed, "{customer:?}");
    }
    // Registers are set up by managers.
    let err = erp
        .create_register(
            &ana,
            NewRegister {
                code: RegisterCode::parse("CAIXA-09").unwrap(),
                name: Name::parse("Back").unwrap(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let err = erp
        .create_register(
            &till.shop.admin,
            NewRegister {
                code: RegisterCode::parse("caixa-01").unwrap(),
                name: Name::parse("Again").unwrap(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "duplicate");
    assert_eq!(erp.registers(&viewer).await.unwrap().len(), 1);
    till.shop.assert_consistent().await;
}

/// A keyed cash movement whose answer was lost, retried after its session was closed (and after
/// the next one was opened), answers the movement made in the closed session, marked replayed:
/// it is not made a second time in the open one. A new key then needs the open session.
pub async fn a_keyed_cash_movement_retried_after_its_session_closed_is_not_made_again(erp: Erp) {
    let till = Till::new(erp).await;
    let ana = till.shop.user("ana", Role::Operator).await;
    let erp = &till.shop.erp;
    let open = || async {
        erp.open_cash_session(&ana, till.register, m("100.00"))
            .await
            .unwrap()
            .id
    };
    let first_session = open().await;
    let out = |k: &'static str| {
        let (erp, ana, register) = (erp.clone(), ana.clone(), till.register);
        async move {
            erp.move_cash_once(
                &ana,
                register,
                CashMovementKind::Out,
                m("30"),
                Reason::parse("bank deposit").unwrap(),
                &key(k),
            )
            .await
        }
    };
    let made = out("sangria-1").await.unwrap();
    erp.close_cash_session(&ana, first_session, &[(Tender::Cash, m("70.00"))])
        .await
        .unwrap();
    // No session open: the retry is answered all the same; a new movement is refused.
    let replay = out("sangria-1").await.unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.movement, made.movement);
    assert_eq!(
        out("sangria-2").await.unwrap_err().code(),
        "no_open_session"
    );
    // The next session open: still the first session's movement, nothing new in this one.
    let second_session = open().await;
    let replay = out("sangria-1").await.unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.movement.cash_session_id, first_session);
    assert!(
        erp.cash_movements(&ana, second_session)
            .await
            .unwrap()
            .is_empty()
    );
    let conflict = erp
        .move_cash_once(
            &ana,
            till.register,
            CashMovementKind::In,
            m("30"),
            Reason::parse("bank deposit").unwrap(),
            &key("sangria-1"),
        )
        .await
        .unwrap_err();
    assert_eq!(conflict.code(), "idempotency_conflict");
    let fresh = out("sangria-2").await.unwrap();
    assert!(!fresh.replayed);
    assert_eq!(fresh.movement.cash_session_id, second_session);
    till.shop.assert_consistent().await;
}

/// A cash movement under a key is made once: the same movement again (a retry after a lost
/// answer, or eight at once) answers the first, marked replayed; another amount under the key is
/// a conflict; the drawer's figures count it once.
pub async fn a_keyed_cash_movement_is_made_once(erp: Erp) {
    let till = Till::new(erp).await;
    let ana = till.shop.user("ana", Role::Operator).await;
    let erp = &till.shop.erp;
    till.open(&ana, "100.00").await;
    let out = |amount: &'static str, k: &'static str| {
        let (erp, ana, register) = (erp.clone(), ana.clone(), till.register);
        async move {
            let why = Reason::parse("bank deposit").unwrap();
            erp.move_cash_once(
                &ana,
                register,
                CashMovementKind::Out,
                m(amount),
                why,
                &key(k),
            )
            .await
        }
    };
    let first = out("30", "sangria-1").await.unwrap();
    assert!(!first.replayed);
    let again = out("30", "sangria-1").await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.movement, first.movement);
    let conflict = out("31", "sangria-1").await.unwrap_err();
    assert_eq!(conflict.code(), "idempotency_conflict");
    assert_eq!(
        conflict,
        Error::CashRequestConflict {
            key: "sangria-1".into(),
            movement_id: first.movement.id,
        }
    );
    let racing = (0..8).map(|_| {
        let erp = erp.clone();
        let ana = ana.clone();
        let register = till.register;
        tokio::spawn(async move {
            erp.move_cash_once(
                &ana,
                register,
                CashMovementKind::In,
                m("5"),
                Reason::parse("coins").unwrap(),
                &IdempotencyKey::parse("suprimento-1").unwrap(),
            )
            .await
        })
    });
    let moved: Vec<_> = futures::future::join_all(racing)
        .await
        .into_iter()
        .map(|joined| joined.unwrap().unwrap())
        .collect();
    assert_eq!(moved.iter().filter(|m| !m.replayed).count(), 1, "{moved:?}");
    let session = erp
        .cash_sessions(&ana, till.register, PageRequest::default())
        .await
        .unwrap()
        .items[0]
        .clone();
    assert_eq!(erp.cash_movements(&ana, session.id).await.unwrap().len(), 2);
    let x = erp.session_report(&ana, session.id).await.unwrap();
    // 100 - 30 + 5
    assert_eq!(x.tenders[0].expected, m("75.00"));
}
