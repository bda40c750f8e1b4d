//! `floorboard simulate`: realistic go-live traffic as a real protocol client (placeholder
//! replaced below).
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    #[arg(long, default_value = "ws://127.0.0.1:8080/ws")]
    pub url: String,
}

pub async fn run(_args: SimulateArgs) -> anyhow::Result<()> {
    Ok(())
}
