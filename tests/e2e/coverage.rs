//! Check-ins and coverage: who is on which unit, counted per unit for whoever may see the
//! board; a check-in ends at the next, at check-out, at sign-out and when the account is
//! disabled.

use floorboard_shared::access::{AccountSpec, Role};
use floorboard_shared::coverage::{CheckIn, CheckInRequest, Coverage, UnitCoverage};
use floorboard_shared::{ErrorBody, ErrorCode, FacilityId, UnitId};
use floorboard_tests::{Http, TestServer, spec};
use reqwest::{Method, StatusCode};

async fn check_in(http: &Http, unit: &str) -> reqwest::Response {
    http.post_json("/api/v1/check-ins", &CheckInRequest { unit: UnitId::new(unit) }).await
}

/// The coverage as `http` reads it, as (unit, people) pairs.
async fn coverage(http: &Http, query: &str) -> Vec<(String, u32)> {
    let coverage: Coverage = http.get_json(&format!("/api/v1/coverage{query}")).await;
    coverage.units.into_iter().map(|UnitCoverage { unit, people }| (unit.to_string(), people)).collect()
}

fn pairs(expected: &[(&str, u32)]) -> Vec<(String, u32)> {
    expected.iter().map(|&(u, n)| (u.to_owned(), n)).collect()
}

#[tokio::test]
async fn the_board_counts_who_is_checked_in_on_each_unit_until_they_move_check_out_or_sign_out() {
    let server = TestServer::spawn().await;
    let scoped = AccountSpec { facility: Some(FacilityId::new("rmc")), ..spec(&[Role::Trainer]) };
    let ana = server.account("ana", scoped.clone()).await.http();
    let bo = server.account("bo", scoped.clone()).await.http();
    let cy = server.account("cy", scoped).await.http();
    let lead = server.account("dee", spec(&[Role::Lead])).await.http();
    assert!(coverage(&lead, "").await.is_empty(), "nobody is checked in at first");

    let response = check_in(&ana, "rmc-4w").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let kept: CheckIn = response.json().await.unwrap();
    assert_eq!((kept.login.as_str(), kept.facility.as_str(), kept.unit.as_str()), ("ana", "rmc", "rmc-4w"));
    assert_eq!(check_in(&bo, "rmc-4w").await.status(), StatusCode::CREATED);
    assert_eq!(check_in(&cy, "lch-picu").await.status(), StatusCode::CREATED);
    assert_eq!(coverage(&lead, "").await, pairs(&[("lch-picu", 1), ("rmc-4w", 2)]));
    assert_eq!(coverage(&lead, "?facility=rmc").await, pairs(&[("rmc-4w", 2)]), "one facility's");

    // Moving to another unit ends the last check-in (checked in twice there: counted once).
    assert_eq!(check_in(&ana, "rmc-ed").await.status(), StatusCode::CREATED);
    assert_eq!(check_in(&ana, "rmc-ed").await.status(), StatusCode::CREATED);
    assert_eq!(coverage(&lead, "").await, pairs(&[("lch-picu", 1), ("rmc-4w", 1), ("rmc-ed", 1)]));

    let out = bo.request(Method::DELETE, "/api/v1/check-ins/current").send().await.unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let signed_out = cy.request(Method::DELETE, "/api/v1/sessions/current").send().await.unwrap();
    assert_eq!(signed_out.status(), StatusCode::NO_CONTENT);
    assert_eq!(coverage(&lead, "").await, pairs(&[("rmc-ed", 1)]), "checked out, and signed out");

    let admin = server.admin().await;
    let disabled = AccountSpec { disabled: true, ..spec(&[Role::Trainer]) };
    let response = admin.request(Method::PUT, "/api/v1/users/ana").json(&disabled).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(coverage(&lead, "").await.is_empty(), "a disabled account covers nothing");
}

#[tokio::test]
async fn a_check_in_names_a_unit_of_the_go_live_and_coverage_is_the_boards_to_see() {
    let server = TestServer::spawn().await;
    let trainer = server.http();
    let response = check_in(&trainer, "rmc-nowhere").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: ErrorBody = response.json().await.unwrap();
    assert_eq!((body.code, body.field.as_deref()), (ErrorCode::UnknownUnit, Some("unit")));

    let viewer =
        server.account("ed", AccountSpec { facility: Some(FacilityId::new("rmc")), ..spec(&[Role::Viewer]) }).await;
    let viewer = viewer.http();
    let refused = check_in(&viewer, "rmc-4w").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "a viewer is not on the floor");
    assert_eq!(check_in(&trainer, "rmc-4w").await.status(), StatusCode::CREATED);
    assert_eq!(coverage(&viewer, "?facility=rmc").await, pairs(&[("rmc-4w", 1)]));
    let other = viewer.get("/api/v1/coverage?facility=lch").await;
    assert_eq!(other.status(), StatusCode::FORBIDDEN, "not the viewer's board");
    let unknown = viewer.get("/api/v1/coverage?facility=nowhere").await;
    assert_eq!(unknown.json::<ErrorBody>().await.unwrap().code, ErrorCode::UnknownFacility);
}
