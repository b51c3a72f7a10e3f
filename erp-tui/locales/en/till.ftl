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
sale-key-conflict = This sale already became order #{ $id } before it changed; press F9 again to place it as a new order.
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
