# The till's words in English. Each message is looked up by its id from the code; key labels of
# the footer and help are written in the key tables themselves and need no entry here.

## Header and frame
tab-sale = Sale
tab-orders = Orders
tab-products = Products
tab-customers = Customers
tab-users = Users
title-starting = Starting
title-first-run = First run
title-login = Login
title-order = Order
opening-database = Opening the database…
terminal-too-small = The terminal is too small: make it at least 80x24.
welcome = Welcome, { $name }.
only-managers-manage-users = Only managers and admins manage users.
cart-not-saved = The cart could not be saved: { $error }
help-title = Keys: { $screen }
help-closes = any key closes
not-available = { $label } (not available)
logged-out = { $name } logged out.
logged-out-sale-kept = { $name } logged out; their sale stays saved at this till.
locked = Locked after { $minutes } min without a key: { $name }, enter your password.
quit-title = Quit
quit-question = A sale is in progress ({ $items } item(s)). Quit?
quit-kept = It stays saved for this till and user.
quit-keys = y: quit    any other key: stay
old-cart-set-aside = An old shared cart ({ $lines } line(s)) was not loaded: it cannot be told which till it was; it is kept in { $path }.

## Roles
role-viewer = viewer
role-operator = operator
role-manager = manager
role-admin = admin

## Login
login-title = Log in
login-locked-title = Locked: log in again
field-username = Username
field-password = Password

## Sale
sale-customer = Customer
sale-no-customer = none (F8 to pick)
sale-search = Search SKU/name
sale-results = Products
sale-cart = Cart
sale-cart-empty = Cart (empty)
sale-no-match = No product matches "{ $text }".
col-sku = SKU
col-product = Product
col-price = Price
col-available = Avail
col-qty = Qty
col-total = Total
sale-items = { $count } item(s)
sale-total = TOTAL { $total }
sale-placing = placing the order…
sale-checking = checking prices…
sale-looking-up = looking up codes…
sale-not-found-list = Not found: { $codes }
sale-not-sold = { $sku } is no longer sold.
sale-line-max = { $sku } not added: at most { $max } units per line.
sale-short = { $quantity } in the cart, but only { $available } of { $sku } available.
sale-added = Added { $quantity } × { $name }.
sale-code-not-found = No product with code { $code }: not added.
sale-name-not-found = No product matches "{ $text }": not added.
sale-not-added = { $code } not added: { $reason }
sale-still-looking-up = Codes are still being looked up; press F9 again in a moment.
sale-empty-cart = The cart is empty.
sale-pick-customer = Pick a customer first (F8).
sale-price-changed = Price changed: { $changes }. Check the total and press F9 again.
sale-max-per-line = At most { $max } units per line.
sale-customer-set = Customer: { $name }.
sale-placed = Order #{ $id } placed: { $items } item(s), total { $total }.
sale-placed-replayed = Order #{ $id } placed: { $items } item(s), total { $total } (it had already gone through).
sale-quantity-title = Quantity of { $sku }
sale-quantity-field = Quantity
sale-quantity-hint = 0 removes the line.
sale-quantity-invalid = Type a whole number of units, 0 to { $max }.
sale-quantity-refused = Quantity { $quantity } refused: type 1 to { $max } units.
popup-picker-keys = Enter pick  ^N new  Esc close
popup-form-keys = Enter next/save  Esc cancel

## Orders
orders-filters = Status: { $status }   Customer: { $customer }   ({ $count } { $count ->
        [one] order
       *[other] orders
    })   refreshes every { $seconds } s
orders-all = all
orders-title = Orders, newest first
col-order = Order
col-placed = Placed
col-customer = Customer
col-status = Status
col-lines = Lines
col-when = When
col-from = From
col-to = To
col-note = Note
order-heading = Order #{ $id }
order-total = total { $total }
order-customer-placed = Customer { $customer } · placed { $placed }
order-next = Next:
order-final = none (final)
order-lines = Lines ({ $count })
order-lines-scroll = Lines ({ $count }, ↑↓ scroll)
order-history = History
order-cancel-title = Confirm
order-cancel-question = Cancel order #{ $id }?
order-cancel-stock = Its reserved stock goes back on the shelf.
order-cancel-keys = y: yes, cancel it    any other key: no
order-moved = Order #{ $id } is now { $status }.
order-cannot-become = Order #{ $id } is { $status }: it cannot become { $to }.

## Errors from erp-core
error-validation = { $field }: { $reason }
error-not-found = No { $entity } { $key } was found.
error-forbidden = Your role ({ $role }) may not { $action }.
error-role-not-grantable = A { $role } may not manage a user with role { $target }.
error-invalid-credentials = Wrong username or password.
error-invalid-token = Your session has ended; log in again.
error-login-throttled = Too many failed logins: wait { $seconds } s before trying again.
error-user-inactive = User { $username } is deactivated; ask a manager.
error-insufficient-stock = Not enough { $sku }: { $requested } requested, { $available } available. The cart is kept.
error-product-inactive = { $sku } is no longer sold (inactive). Remove it from the cart.
error-customer-deleted = Customer { $id } has been deleted; pick another customer.
error-stock-below-reserved = { $sku }: on hand would be { $on_hand }, below the { $reserved } reserved by open orders.
error-invalid-transition = The order is { $from } now and cannot become { $to } (it may have changed elsewhere).
error-idempotency-conflict = This sale was already placed as order #{ $id } before the cart changed; see Orders.
error-stock-request-conflict = This stock change was already recorded differently; reopen the form and check the stock.
error-return-request-conflict = This return was already recorded differently as return #{ $id }; see the order.
error-overpayment = Card, PIX and other tenders come to { $non_cash }, more than the { $due } due; only cash may be more.
error-payment-short = The tenders come to { $tendered }; { $due } is due. Add a tender.
error-approval-required = A manager must approve: { $reason }. Ask a manager to type their login.
error-no-open-cash-session = Register { $register } has no open cash session; open the till first.
error-cash-session-already-open = This register already has open session { $session }.
error-cash-session-not-yours = Cash session { $session } belongs to another operator.
error-cash-session-closed = Cash session { $session } is closed and cannot change.
error-insufficient-cash = The drawer should hold { $in_drawer } in cash, less than { $requested }.
error-order-not-eligible = Order #{ $id } is { $status }: { $why }.
error-return-exceeds-sold = { $sku }: only { $returnable } can come back, not { $requested }.
error-refund-exceeds-paid = At most { $refundable } can be refunded for these units, not { $requested }.
error-duplicate = { $field } { $value } is already in use.
error-already-done = Already done: { $what }.
error-busy = The database is busy; nothing was changed. Try again.
error-unavailable = The database cannot be reached; nothing was changed. Try again. ({ $detail })
error-internal = Something went wrong inside erp; nothing was changed. ({ $detail })

## Checkout
sale-sold = Sale #{ $id }: { $items } item(s), total { $total }, change { $change }.
sale-sold-replayed = Sale #{ $id }: { $items } item(s), total { $total }, change { $change } (it had already gone through).
sale-sold-elsewhere = Sale #{ $id } went through (answer arrived after that sale left the screen).
pay-title = Payment
pay-due = TOTAL DUE
pay-paid = Paid { $amount }
pay-remaining = To pay { $amount }
pay-change = CHANGE { $amount }
pay-sending = Making the sale…
pay-amount-invalid = "{ $text }" is not an amount (like 50 or 37,40).
pay-too-many = At most { $max } tenders.
tender-cash = Cash
tender-debit = Debit card
tender-credit = Credit card
tender-pix = PIX
tender-other = Other
receipt-title = Receipt, sale #{ $id }
approval-title = Manager approval
approval-user = Manager
approval-password = Password
approval-why = Needs a manager: { $reason }.
picker-title = Customer: type to search
picker-search = Search

## Caixa (cash session)
caixa-title = Caixa
caixa-unknown = Reading the caixa…
caixa-looking-up = Reading this till's caixa; try again in a moment.
caixa-status-open = { $register }: session { $session } open since { $since }
caixa-status-closed = { $register }: closed
caixa-closed = The caixa is closed: F12, then a, opens it with the float.
caixa-not-yours = Session { $session } of another cashier is open on this register; they close it (F12) first.
caixa-already-open = Session { $session } is already open.
caixa-register-missing = Register { $register } is not set up: a manager logs in at this till once to set it up.
caixa-open-title = Open the caixa
caixa-float = Float counted
caixa-open-hint = Count the cash in the drawer and type it.
caixa-opening = Opening the caixa…
caixa-opened = Caixa open: session { $session }, float { $float }.
caixa-in-title = Cash in (suprimento)
caixa-out-title = Cash out (sangria)
caixa-amount = Amount
caixa-reason = Reason
caixa-amount-invalid = "{ $text }" is not an amount: { $reason }
caixa-reason-needed = Say why: { $reason }
caixa-saving = Recording…
caixa-moved-in = Cash in: { $amount } ({ $reason }).
caixa-moved-out = Cash out: { $amount } ({ $reason }).
caixa-reading = Reading the session…
caixa-closing = Closing the caixa…
caixa-count-title = Close the caixa: blind count
caixa-count-hint = Count each tender without looking at the system's figures.
caixa-closed-with = Session { $session } closed; cash over/short { $difference }.
report-x = X REPORT (session open)
report-z = Z REPORT (session closed)
report-not-fiscal = NOT A FISCAL DOCUMENT
report-register = Register
report-session = Session
report-opened-by = Opened by
report-opened = Opened
report-closed-by = Closed by
report-closed = Closed
report-sales = Sales
report-gross = Gross
report-discounts = Discounts
report-returns = Returns ({ $count })
report-net = Net
report-float = Opening float
report-cash-in = Cash in
report-cash-out = Cash out
report-change = Change given
report-expected = { $tender } expected
report-counted = { $tender } counted
report-even = Difference
report-short = SHORT
report-over = OVER
report-printed = Printed

## Discounts
discount-line-title = Discount or price: { $sku }
discount-sale-title = Discount on the whole sale
discount-field = Discount
discount-price = Unit price
discount-hint = 10% or an amount (5,00); empty removes it. Over the limit or another price: a manager approves at payment.
discount-set = Discount set; total now { $total }.
discount-too-large = That discount is more than what it applies to.

# A sale sent without a known answer (frozen until retried or voided).
sale-frozen = Payment sent, no answer: no changes. F9 sends it again; ^X voids it (manager).
sale-frozen-conflict = This sale's key already made sale #{ $id }: see F3 Orders; ^X voids (manager).
sale-cart-frozen = Payment sent, no answer yet: F9 sends the same sale again
sale-cart-conflict = Key already used by sale #{ $id }: check it in F3 Orders
pay-retry-note = Sent before with no answer: Enter sends the very same sale again.
pay-locked = The tenders were sent: they cannot change until the answer is known.
pay-unknown-outcome = No sure answer: the sale may have been made. Enter sends the same sale again; it is never made twice.
sale-unknown-outcome = No sure answer to the sale: the cart is kept as sent. F9 sends it again.
sale-voided = Sale …{ $key } voided by { $name }; if it went through, it is in F3 Orders.
void-title = Void the sale
void-why = A manager voids a sale sent with no answer; check F3 Orders first.
void-not-manager = { $name } is not a manager.
key-send-again = send again
key-void-manager = void (manager)
