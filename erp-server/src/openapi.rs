//! The OpenAPI 3.1 document, generated from the handlers and types.

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::ObjectBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Type};
use utoipa::{Modify, OpenApi};

use crate::routes::{
    auth, customers, health, orders, parked, products, receipts, shop, tills, users,
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
        health::alive, health::ready,
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
/// handler that takes input, and 401 from any that needs a token.
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
        }
        if takes_body {
            add("413", "Body larger than the configured limit");
            add("415", "Body is not application/json");
        }
        add(
            "429",
            "Rate limit reached; retry after `Retry-After` seconds",
        );
        if let Some(RefOr::T(limited)) = responses.get_mut("429") {
            limited
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

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            if path.starts_with("/health") {
                continue;
            }
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
                Self::document(operation);
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
            if !path.starts_with("/health") {
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
    fn status_changes_and_cancels_take_an_optional_idempotency_key() {
        let doc = document();
        for (path, method) in [
            ("/api/v1/orders/{id}/status", "patch"),
            ("/api/v1/orders/{id}", "delete"),
            ("/api/v1/products/{id}/stock", "patch"),
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
            assert!(
                operation["responses"]["422"].is_object(),
                "{method} {path}: the key conflict"
            );
        }
    }
}
