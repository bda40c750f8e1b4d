//! The optional board watcher: follows the all-facility board and prints one line per
//! coalesced `board_update`; after a drop it resumes with the digest of the board it holds.

use std::convert::Infallible;

use floorboard_shared::heatmap::{BoardDigest, Cell};
use floorboard_shared::protocol::{ClientMsg, ServerMsg, Topic};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use super::client::{Ws, connect, encode, next_text, parse};

/// Cells named in one board line; the rest are counted.
const SHOWN_CELLS: usize = 3;

/// Follows the all-facility board until `stop`, resubscribing after a drop; returns how
/// many `board_update`s arrived.
pub(super) async fn watch_board(url: String, token: String, stop: CancellationToken) -> u64 {
    let mut updates = 0;
    let mut digest = None;
    while let Some(ws) = connect(&url, &token, &stop).await {
        match stop.run_until_cancelled(follow_board(ws, &mut updates, &mut digest)).await {
            None => break,
            Some(Err(e)) => tracing::warn!(error = %e, "board connection lost; resubscribing"),
        }
    }
    updates
}

async fn follow_board(mut ws: Ws, updates: &mut u64, digest: &mut Option<BoardDigest>) -> anyhow::Result<Infallible> {
    let subscribe = ClientMsg::Subscribe { topic: Topic::Board { facility: None }, resume_from: None, digest: *digest };
    ws.send(Message::Text(encode(&subscribe)?)).await?;
    loop {
        match parse(&next_text(&mut ws).await?) {
            Some(ServerMsg::Snapshot { seq, cells, digest: sent, .. }) => {
                *digest = sent;
                println!("board snapshot seq={seq}: {} cells", cells.len())
            }
            Some(ServerMsg::Resumed { seq, .. }) => println!("board resumed seq={seq}: unchanged"),
            Some(ServerMsg::BoardUpdate { seq, cells, digest: sent, .. }) => {
                *updates += 1;
                *digest = Some(sent);
                println!("board update seq={seq}: {}", describe_cells(&cells));
            }
            Some(ServerMsg::Error(body)) => {
                tracing::warn!(code = body.code.as_str(), message = %body.message, "board subscription refused");
            }
            _ => {}
        }
    }
}

/// `4 cells changed (rmc-4w training_gap open=3 last_hour=5, ..., +1 more)`.
fn describe_cells(cells: &[Cell]) -> String {
    let shown: Vec<String> = cells.iter().take(SHOWN_CELLS).map(describe_cell).collect();
    let more = match cells.len().saturating_sub(SHOWN_CELLS) {
        0 => String::new(),
        n => format!(", +{n} more"),
    };
    let plural = if cells.len() == 1 { "" } else { "s" };
    format!("{} cell{plural} changed ({}{more})", cells.len(), shown.join(", "))
}

fn describe_cell(cell: &Cell) -> String {
    let c = &cell.counts;
    let safety = if c.safety_open > 0 { format!(" safety_open={}", c.safety_open) } else { String::new() };
    format!("{} {} open={} last_hour={}{safety}", cell.unit, cell.kind.as_str(), c.open, c.last_hour)
}

#[cfg(test)]
mod tests {
    use super::*;
    use floorboard_shared::Kind;
    use floorboard_shared::heatmap::CellCounts;

    #[test]
    fn board_lines_name_a_few_cells_and_count_the_rest() {
        let cell = |unit: &str, open, safety_open| Cell {
            facility: "rmc".into(),
            unit: unit.into(),
            kind: Kind::TrainingGap,
            counts: CellCounts { open, safety_open, last_hour: 5, ..CellCounts::default() },
        };
        let cells = [cell("rmc-4w", 3, 0), cell("rmc-ed", 1, 1), cell("rmc-or", 2, 0), cell("rmc-lab", 1, 0)];
        assert_eq!(
            describe_cells(&cells),
            "4 cells changed (rmc-4w training_gap open=3 last_hour=5, rmc-ed training_gap open=1 last_hour=5 safety_open=1, \
             rmc-or training_gap open=2 last_hour=5, +1 more)"
        );
        assert_eq!(describe_cells(&cells[..1]), "1 cell changed (rmc-4w training_gap open=3 last_hour=5)");
    }
}
