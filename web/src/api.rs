//! The HTTP API, for what is not a live stream: the go-live catalog, queue counts, a unit's
//! issues, status changes.

use floorboard_shared::golive::GoLiveSpec;
use floorboard_shared::protocol::{IssuesAt, QueueSummary, StatusChange};
use floorboard_shared::{ErrorBody, ErrorCode, GoLive, Issue, Kind, ReportId, UnitId};
use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;

async fn json<T: DeserializeOwned>(response: Result<Response, gloo_net::Error>) -> Result<T, ErrorBody> {
    let unreachable = || ErrorBody::new(ErrorCode::Unavailable, "the server cannot be reached");
    let response = response.map_err(|_| unreachable())?;
    if response.ok() {
        response.json().await.map_err(|_| ErrorBody::new(ErrorCode::Internal, "unexpected answer from the server"))
    } else {
        Err(response.json::<ErrorBody>().await.unwrap_or_else(|_| unreachable()))
    }
}

pub async fn golive() -> Result<GoLive, ErrorBody> {
    let spec: GoLiveSpec = json(Request::get("/api/v1/golive").send().await).await?;
    GoLive::try_from(spec).map_err(|e| ErrorBody::new(ErrorCode::Internal, e.to_string()))
}

pub async fn queues() -> Result<Vec<QueueSummary>, ErrorBody> {
    json(Request::get("/api/v1/queues").send().await).await
}

pub async fn unit_issues(unit: &UnitId, kind: Kind) -> Result<IssuesAt, ErrorBody> {
    json(Request::get(&format!("/api/v1/units/{unit}/issues?kind={}", kind.as_str())).send().await).await
}

pub async fn change_status(id: ReportId, change: &StatusChange) -> Result<Issue, ErrorBody> {
    let request = Request::post(&format!("/api/v1/reports/{id}/status"))
        .json(change)
        .map_err(|_| ErrorBody::new(ErrorCode::Internal, "could not encode the request"))?;
    json(request.send().await).await
}
