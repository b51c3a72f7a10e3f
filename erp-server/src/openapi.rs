//! The OpenAPI 3.1 document, generated from the handlers and types.

use std::collections::BTreeMap;

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::ObjectBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Type};
use utoipa::{Modify, OpenApi};

use crate::routes::{
    auth, customers, health, metrics, orders, parked, products, receipts, shop, tills, users,
};

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
        health::alive, health::ready, metrics::scrape,
        auth::register, auth::login, auth::refresh, auth::logout, auth::me,
        customers::create, customers::list, customers::get, customers::update, customers::delete,
        products::create, products::list, products::get, products::update,
        products::adjust_stock, products::movements, products::deactivate,
        orders::create, orders::list, orders::get, orders::change_status, orders::cancel,
        orders::history,
        users::list, users::get, users::update, users::change_password,
        tills::create_register, tills::registers, tills::open_session, tills::sessions,
        tills::move_cash, tills::report, tills::close, tills::sell, tills::pay, tills::take_back,
        shop::get, shop::put, receipts::sale, receipts::sale_return,
        parked::park, parked::list, parked::recall,
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&BearerAuth, &ProblemResponses),
    tags(
        (name = "health"), (name = "auth"), (name = "customers"), (name = "products"),
        (name = "orders"), (name = "users"), (name = "tills"), (name = "settings")
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

/// The media type of every error body.
const PROBLEM_JSON: &str = "application/problem+json";

/// Documents the errors every handler can answer with, in one place rather than on each handler:
/// error bodies are `application/problem+json`; 400 (malformed), 413, 415, 422 (validation) and 429
/// (rate limit, with `Retry-After`) can come from the extractors and middleware in front of any
/// handler that takes input; 401 and 403 from any that needs a token (the token's user is looked
/// up on every request, so a deactivated user is refused everywhere, not only where roles
/// differ); and 503 from any route (database unreachable or contended, a commit of unknown
/// outcome, the request timeout).
struct ProblemResponses;

impl ProblemResponses {
    fn problem(description: &str) -> Response {
        ResponseBuilder::new()
            .description(description)
            .content(
                PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build()
    }

    fn document(operation: &mut Operation) {
        let responses = &mut operation.responses.responses;
        // Error bodies declared by the handlers are problems, whatever media type they were given.
        for (status, response) in responses.iter_mut() {
            let is_error = status.parse::<u16>().is_ok_and(|code| code >= 400);
            if let (true, RefOr::T(response)) = (is_error, response) {
                let mut content = std::mem::take(&mut response.content);
                if let Some(body) = content.shift_remove("application/json") {
                    content.insert(PROBLEM_JSON.to_string(), body);
                }
                response.content = content;
            }
        }
        let takes_body = operation.request_body.is_some();
        let takes_input = takes_body
            || operation
                .parameters
                .as_ref()
                .is_some_and(|parameters| !parameters.is_empty());
        let needs_token = operation
            .security
            .as_ref()
            .is_some_and(|security| !security.is_empty());
        let mut add = |status: &str, description: &str| {
            responses
                .entry(status.to_string())
                .or_insert_with(|| RefOr::T(Self::problem(description)));
        };
        if takes_input {
            add(
                "400",
                "Malformed request: unreadable JSON, a wrong type, an unknown field",
            );
            add("422", "Validation failed: the problem names the field");
        }
        if needs_token {
            add("401", "Missing, invalid or expired access token");
            add(
                "403",
                "The caller's role does not allow this (`forbidden`), or the user was \
                 deactivated (`user_inactive`)",
            );
        }
        if takes_body {
            add("413", "Body larger than the configured limit");
            add("415", "Body is not application/json");
        }
        add(
            "429",
            "Rate limit reached; retry after `Retry-After` seconds",
        );
        Self::unavailable(responses);
        Self::retry_after(responses, "429");
    }

    /// 503, which any route can answer: `busy`, `unavailable`, `outcome_unknown` or `timeout`.
    fn unavailable(responses: &mut BTreeMap<String, RefOr<Response>>) {
        responses.entry("503".to_string()).or_insert_with(|| {
            RefOr::T(Self::problem(
                "The database is unreachable (`unavailable`) or stayed contended (`busy`), the \
                 outcome of a commit is unknown (`outcome_unknown`), or the request took too long \
                 (`timeout`); retry after `Retry-After` seconds, with the same `Idempotency-Key`",
            ))
        });
        Self::retry_after(responses, "503");
    }

    fn retry_after(responses: &mut BTreeMap<String, RefOr<Response>>, status: &str) {
        if let Some(RefOr::T(response)) = responses.get_mut(status) {
            response
                .headers
                .entry("Retry-After".to_string())
                .or_insert_with(|| {
                    HeaderBuilder::new()
                        .schema(ObjectBuilder::new().schema_type(Type::Integer))
                        .description(Some("Seconds until a request may succeed"))
                        .build()
                });
        }
    }
}

/// Health and metrics: for probes and scrapers, outside `/api` and its rate limits.
fn is_operational(path: &str) -> bool {
    path.starts_with("/health") || path == "/metrics"
}

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operational = is_operational(path);
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                if operational {
                    // Probes and scrapers get their own bodies; only the timeout is shared.
                    Self::unavailable(&mut operation.responses.responses);
                } else {
                    Self::document(operation);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::Value;

    use super::*;

    fn document() -> Value {
        serde_json::to_value(ApiDoc::openapi()).unwrap()
    }

    fn operations(doc: &Value) -> Vec<(String, String, Value)> {
        let mut found = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                found.push((path.clone(), method.clone(), operation.clone()));
            }
        }
        found
    }

    #[test]
    fn list_filters_are_optional_query_parameters() {
        let doc = document();
        for (path, method, operation) in operations(&doc) {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let name = parameter["name"].as_str().unwrap();
                let place = parameter["in"].as_str().unwrap();
                let in_path = path.contains(&format!("{{{name}}}"));
                assert_eq!(
                    place == "path",
                    in_path,
                    "{method} {path}: {name} is documented in {place}"
                );
                if place == "query" {
                    assert_ne!(parameter["required"], true, "{method} {path}: {name}");
                }
            }
        }
    }

    #[test]
    fn every_error_is_a_documented_problem() {
        let doc = document();
        for (path, method, operation) in operations(&doc) {
            let responses = operation["responses"].as_object().unwrap();
            if !is_operational(&path) {
                assert!(responses.contains_key("429"), "{method} {path}");
                let limited = &responses["429"];
                assert!(limited["headers"]["Retry-After"].is_object());
            }
            if operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
            {
                assert!(responses.contains_key("401"), "{method} {path}");
            }
            if operation["requestBody"].is_object() {
                for status in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(status), "{method} {path} {status}");
                }
            }
            // Readiness answers 503 with its usual status body, not a problem.
            if path.starts_with("/health") {
                continue;
            }
            for (status, response) in responses {
                if status.parse::<u16>().is_ok_and(|code| code >= 400) {
                    let types: Vec<&String> = response["content"]
                        .as_object()
                        .map(|c| c.keys().collect())
                        .unwrap_or_default();
                    assert_eq!(types, [PROBLEM_JSON], "{method} {path} {status}");
                }
            }
        }
    }

    #[test]
    fn status_changes_cancels_recalls_and_cash_take_an_optional_idempotency_key() {
        let doc = document();
        for (path, method) in [
            ("/api/v1/orders/{id}/status", "patch"),
            ("/api/v1/orders/{id}", "delete"),
            ("/api/v1/products/{id}/stock", "patch"),
            ("/api/v1/parked-sales/{id}/recall", "post"),
            ("/api/v1/registers/{id}/cash", "post"),
        ] {
            let operation = &doc["paths"][path][method];
            let key = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["name"] == "Idempotency-Key")
                .unwrap_or_else(|| panic!("{method} {path} documents no Idempotency-Key"));
            assert_eq!(key["in"], "header", "{method} {path}");
            assert_ne!(key["required"], true, "{method} {path}");
            assert_eq!(
                key["schema"]["maxLength"],
                erp_core::domain::IdempotencyKey::MAX_LEN,
                "{method} {path}"
            );
            assert!(
                operation["responses"]["422"].is_object(),
                "{method} {path}: the key conflict"
            );
        }
    }

    /// A property of a component schema, e.g. `("CustomerInput", "name")`.
    fn property(doc: &Value, schema: &str, name: &str) -> Value {
        let property = doc["components"]["schemas"][schema]["properties"][name].clone();
        assert!(property.is_object(), "{schema}.{name} is not documented");
        property
    }

    #[test]
    fn input_schemas_carry_the_limits_erp_core_enforces() {
        use erp_core::domain::{
            Email, MAX_ON_HAND, Name, NewCounterSale, NewOrder, Note, ParkedLabel, Password,
            Quantity, Reason, Reference, Sku,
        };
        let doc = document();
        let limit = |value: usize| Value::from(value);
        let cases: Vec<(&str, &str, &str, Value)> = vec![
            ("CustomerInput", "name", "maxLength", limit(Name::MAX_LEN)),
            ("CustomerInput", "email", "maxLength", limit(Email::MAX_LEN)),
            ("CustomerPatch", "name", "maxLength", limit(Name::MAX_LEN)),
            ("ProductInput", "sku", "maxLength", limit(Sku::MAX_LEN)),
            ("ProductInput", "name", "maxLength", limit(Name::MAX_LEN)),
            (
                "ProductInput",
                "initial_stock",
                "maximum",
                MAX_ON_HAND.into(),
            ),
            ("ProductInput", "initial_stock", "minimum", 0.into()),
            (
                "ProductPatch",
                "reorder_level",
                "maximum",
                MAX_ON_HAND.into(),
            ),
            ("StockInput", "quantity", "maximum", MAX_ON_HAND.into()),
            ("StockInput", "quantity", "minimum", (-MAX_ON_HAND).into()),
            ("StockInput", "reason", "maxLength", limit(Reason::MAX_LEN)),
            (
                "OrderInput",
                "lines",
                "maxItems",
                limit(NewOrder::MAX_LINES),
            ),
            ("OrderInput", "lines", "minItems", 1.into()),
            ("OrderInput", "customer_id", "minimum", 1.into()),
            ("OrderInput", "note", "maxLength", limit(Note::MAX_LEN)),
            ("OrderLineInput", "sku", "maxLength", limit(Sku::MAX_LEN)),
            (
                "OrderLineInput",
                "quantity",
                "maximum",
                Quantity::MAX.into(),
            ),
            ("OrderLineInput", "quantity", "minimum", 1.into()),
            ("StatusInput", "note", "maxLength", limit(Note::MAX_LEN)),
            (
                "UserInput",
                "password",
                "minLength",
                limit(Password::MIN_LEN),
            ),
            (
                "UserInput",
                "password",
                "maxLength",
                limit(Password::MAX_LEN),
            ),
            ("SaleInput", "lines", "maxItems", limit(NewOrder::MAX_LINES)),
            (
                "SaleInput",
                "tenders",
                "maxItems",
                limit(NewCounterSale::MAX_TENDERS),
            ),
            ("SaleLineInput", "quantity", "maximum", Quantity::MAX.into()),
            (
                "TenderInput",
                "reference",
                "maxLength",
                limit(Reference::MAX_LEN),
            ),
            (
                "ParkedSaleInput",
                "label",
                "maxLength",
                limit(ParkedLabel::MAX_LEN),
            ),
            ("RegisterInput", "code", "maxLength", limit(Sku::MAX_LEN)),
            (
                "PasswordChange",
                "new_password",
                "minLength",
                limit(Password::MIN_LEN),
            ),
            (
                "PasswordChange",
                "new_password",
                "maxLength",
                limit(Password::MAX_LEN),
            ),
        ];
        for (schema, name, keyword, expected) in cases {
            let property = property(&doc, schema, name);
            assert_eq!(
                property[keyword], expected,
                "{schema}.{name} {keyword}: {property}"
            );
        }
        for (schema, name) in [
            ("StatusInput", "status"),
            ("StockInput", "kind"),
            ("UserInput", "role"),
            ("UserPatch", "role"),
            ("PasswordChange", "new_password"),
            ("TenderInput", "tender"),
            ("CashMovementInput", "kind"),
            ("ProductInput", "price"),
            ("CustomerInput", "phone"),
            ("CustomerInput", "tax_id"),
        ] {
            let property = property(&doc, schema, name);
            assert!(
                property["pattern"].is_string(),
                "{schema}.{name}: {property}"
            );
        }
    }

    /// Whether `text` satisfies a string property's length and pattern, as a client that
    /// validates against the document would check it.
    fn schema_valid(property: &Value, text: &str) -> bool {
        let length = text.chars().count();
        let at_least = property["minLength"].as_u64().unwrap_or(0);
        let at_most = property["maxLength"].as_u64().unwrap_or(u64::MAX);
        let pattern = regex::Regex::new(property["pattern"].as_str().unwrap()).unwrap();
        (at_least..=at_most).contains(&(length as u64)) && pattern.is_match(text)
    }

    /// What schemathesis found: text the document allows must be text the server takes. For each
    /// sampled field, every schema-valid sample parses in erp-core, and the everyday values are
    /// schema-valid (a pattern too strict would make generated clients refuse real data).
    #[test]
    fn text_the_schema_allows_is_text_the_server_accepts() {
        use erp_core::domain::{Email, Money, Name, Note, OrderStatus, Phone, Role, Sku, Tender};
        type Parser = fn(&str) -> bool;
        /// Schema, property, whether erp-core accepts a text, samples, everyday values.
        type Sampled = (
            &'static str,
            &'static str,
            Parser,
            Vec<String>,
            Vec<&'static str>,
        );
        let doc = document();
        let long = |n: usize| "x".repeat(n);
        let names = [
            "Ana",
            "  José da Silva ",
            "東京堂 🍵",
            " ",
            "",
            "a\u{1}b",
            "a\u{202E}b",
            "a\nb",
            "\t",
            "\u{85}",
        ];
        let cases: Vec<Sampled> = vec![
            (
                "CustomerInput",
                "name",
                |t| Name::parse(t).is_ok(),
                names
                    .iter()
                    .map(|s| s.to_string())
                    .chain([long(200), long(201)])
                    .collect(),
                vec!["Ana Souza", "José"],
            ),
            (
                "OrderInput",
                "note",
                |t| t.trim().is_empty() || Note::parse(t).is_ok(),
                names
                    .iter()
                    .map(|s| s.to_string())
                    .chain([long(1000), long(1001)])
                    .collect(),
                vec!["ring twice\nleave at the door", ""],
            ),
            (
                "CustomerInput",
                "email",
                |t| Email::parse(t).is_ok(),
                [
                    "ana@example.com",
                    "Ana.Souza@Example.COM",
                    "a..b@example.com",
                    ".a@example.com",
                    "a.@example.com",
                    "a@localhost",
                    "a@example.1",
                    "a@-x.com",
                    "a@x-.com",
                    "ação@example.com",
                    "a@b@example.com",
                    " ana@example.com",
                    "a@x.c",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect(),
                vec!["ana@example.com", "ana.souza+shop@mail.example.com.br"],
            ),
            (
                "ProductInput",
                "sku",
                |t| Sku::parse(t).is_ok(),
                [
                    "TEA-01",
                    "tea-01",
                    "-TEA",
                    "TEA 01",
                    "7891234567895",
                    "A/B.C_D",
                    "Ç",
                ]
                .iter()
                .map(|s| s.to_string())
                .chain([long(32), long(33)])
                .collect(),
                vec!["TEA-01", "7891234567895"],
            ),
            (
                "ProductInput",
                "price",
                |t| Money::parse(t).is_ok(),
                [
                    "12.50",
                    "0",
                    "0.001",
                    "-1",
                    "1e3",
                    "1.",
                    ".5",
                    "999999999999.99",
                    "9999999999999",
                    "1_000",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect(),
                vec!["12.50", "0.99", "1000"],
            ),
            (
                "CustomerInput",
                "phone",
                |t| t.trim().is_empty() || Phone::parse(t).is_ok(),
                [
                    "+55 (11) 98765-4321",
                    "1234567",
                    "12345678",
                    "+1234567890123456",
                    "",
                    "  ",
                    "++5511987654321",
                    "55-11-98765-4321",
                    "phone",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect(),
                vec!["+55 (11) 98765-4321", "11 98765-4321", ""],
            ),
            (
                "StatusInput",
                "status",
                |t| OrderStatus::parse(t).is_ok(),
                ["CONFIRMED", "confirmed", "LOST", ""]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                vec!["CONFIRMED", "CANCELLED"],
            ),
            (
                "UserInput",
                "role",
                |t| Role::parse(t).is_ok(),
                ["viewer", "Admin", "root", ""]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                vec!["operator", "manager"],
            ),
            (
                "TenderInput",
                "tender",
                |t| Tender::parse(t).is_ok(),
                ["cash", "pix", "cheque", ""]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                vec!["cash", "credit"],
            ),
        ];
        for (schema, name, accepted, samples, everyday) in cases {
            let property = property(&doc, schema, name);
            for sample in &samples {
                if schema_valid(&property, sample) {
                    assert!(
                        accepted(sample),
                        "{schema}.{name}: {sample:?} is schema-valid but refused"
                    );
                }
            }
            for sample in everyday {
                assert!(
                    schema_valid(&property, sample),
                    "{schema}.{name}: {sample:?} is refused by the schema"
                );
            }
        }
    }
}
