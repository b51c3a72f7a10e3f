//! The OpenAPI 3.1 document, generated from the handlers and types.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{auth, customers, health, orders, products, users};

/// The API description served at `/api/schema` and shown at `/docs`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "erp",
        description = "Order management for shops. Errors are RFC 9457 problems \
            (application/problem+json) with a stable `code`; see the README for the table of codes \
            and statuses. Money is a decimal string (\"12.50\"); times are RFC 3339 UTC."
    ),
    paths(
        health::alive, health::ready,
        auth::register, auth::login, auth::refresh, auth::logout, auth::me,
        customers::create, customers::list, customers::get, customers::update, customers::delete,
        products::create, products::list, products::get, products::update,
        products::adjust_stock, products::movements, products::deactivate,
        orders::create, orders::list, orders::get, orders::change_status, orders::cancel,
        orders::history,
        users::list, users::get, users::update, users::change_password,
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&BearerAuth),
    tags(
        (name = "health"), (name = "auth"), (name = "customers"), (name = "products"),
        (name = "orders"), (name = "users")
    )
)]
pub struct ApiDoc;

/// Declares the bearer (JWT) security scheme the handlers refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}
