//! The OpenAPI document: served as kept in the repository, and in step with the routes both
//! ways (every route is documented, every documented operation answers on the live server).

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{ROUTES, Role, Server, expect_error, openapi, operation};

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];

#[tokio::test]
async fn the_served_document_is_the_repository_file() {
    let server = Server::start().await;
    // Open to everyone, tokens or not.
    let response = server
        .request("GET", "/v1/openapi.json")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().ok(),
        Some("application/json")
    );
    let served: Value = response.json().await.expect("JSON");
    let file = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json"))
        .expect("api/openapi.json");
    let file: Value = serde_json::from_str(&file).expect("api/openapi.json is JSON");
    assert_eq!(served, file);
    assert_eq!(served["openapi"], "3.0.3");
}

#[tokio::test]
async fn every_route_is_documented_with_its_security() {
    let document = openapi();
    for route in ROUTES {
        let operation = operation(&document, route.method, route.template)
            .unwrap_or_else(|| panic!("{} {} is not documented", route.method, route.template));
        let schemes: BTreeSet<String> = operation["security"]
            .as_array()
            .unwrap_or_else(|| panic!("{} {}: no security", route.method, route.template))
            .iter()
            .flat_map(|requirement| requirement.as_object().into_iter().flat_map(|o| o.keys()))
            .cloned()
            .collect();
        let expected: BTreeSet<String> = match route.role {
            Role::Open => BTreeSet::new(),
            Role::Producer => ["producerToken".into(), "adminToken".into()].into(),
            Role::Admin => ["adminToken".into()].into(),
        };
        assert_eq!(schemes, expected, "{} {}", route.method, route.template);
        let responses = operation["responses"].as_object().expect("responses");
        let documented = |status: &str| responses.contains_key(status);
        assert!(
            documented("200") || documented("202"),
            "{} {}: no success status",
            route.method,
            route.template
        );
        if route.role != Role::Open {
            assert!(documented("401"), "{} {}", route.method, route.template);
        }
        if route.role == Role::Admin {
            assert!(documented("403"), "{} {}", route.method, route.template);
        }
        if route.json_body {
            for status in ["400", "413", "415"] {
                assert!(
                    documented(status),
                    "{} {}: {status}",
                    route.method,
                    route.template
                );
            }
        }
        if route.template.contains("{uuid}") {
            assert!(documented("404"), "{} {}", route.method, route.template);
        }
    }
}

#[tokio::test]
async fn every_documented_operation_is_a_route_of_the_server() {
    let document = openapi();
    let known: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|route| (route.method.to_owned(), route.template.to_owned()))
        .collect();
    let paths = document["paths"].as_object().expect("paths");
    let mut documented = BTreeSet::new();
    for (template, item) in paths {
        for method in item.as_object().expect("a path item").keys() {
            if method == "parameters" {
                continue;
            }
            documented.insert((method.to_ascii_uppercase(), template.clone()));
        }
    }
    assert_eq!(
        documented, known,
        "the routes table and openapi.json list different operations"
    );

    // Each operation answers on the live server: 401 without a token (the route exists and
    // checks tokens), and with the right token anything but 404 `noRoute` / 405.
    let server = Server::start().await;
    for route in ROUTES {
        let response = server
            .request(route.method, route.example)
            .send()
            .await
            .expect("sent");
        if route.role == Role::Open {
            assert_eq!(response.status(), StatusCode::OK, "{}", route.template);
            continue;
        }
        expect_error(
            response,
            StatusCode::UNAUTHORIZED,
            route.method,
            route.template,
        )
        .await;
        // The long-poll route would wait for `max_wait`: ask for no wait.
        let path = if route.template == "/v1/leases/wait" {
            "/v1/leases/wait?timeoutMs=0"
        } else {
            route.example
        };
        let response = server.admin(route.method, path).send().await.expect("sent");
        let status = response.status();
        let text = response.text().await.expect("a body");
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{}", route.template);
        assert!(
            !text.contains("noRoute"),
            "{} {}: {text}",
            route.method,
            route.template
        );
    }
}

#[tokio::test]
async fn undocumented_methods_on_documented_paths_are_405() {
    let server = Server::start().await;
    let document = openapi();
    for route in ROUTES {
        let item = &document["paths"][route.template];
        for method in METHODS {
            if item.get(method.to_ascii_lowercase()).is_some() {
                continue;
            }
            let response = server
                .admin(method, route.example)
                .send()
                .await
                .expect("sent");
            assert_eq!(
                response.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {}",
                route.example
            );
            let body: Value = response.json().await.expect("a JSON error");
            assert_eq!(body["kind"], "methodNotAllowed");
        }
    }
}

#[test]
fn every_reference_in_the_document_resolves() {
    fn walk(value: &Value, document: &Value, seen: &mut usize) {
        match value {
            Value::Object(fields) => {
                if let Some(Value::String(target)) = fields.get("$ref") {
                    let pointer = target
                        .strip_prefix('#')
                        .unwrap_or_else(|| panic!("external $ref {target}"));
                    assert!(
                        document.pointer(pointer).is_some(),
                        "dangling $ref {target}"
                    );
                    *seen += 1;
                }
                fields
                    .values()
                    .for_each(|field| walk(field, document, seen));
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, document, seen)),
            _ => {}
        }
    }
    let document = openapi();
    let mut seen = 0;
    walk(&document, &document, &mut seen);
    assert!(seen > 0, "the document uses references");
}
