//! The `conversql` binary.

use clap::Parser;

fn main() -> std::process::ExitCode {
    // Deep statements recurse deeply: every thread gets a big stack (see conversql::limits).
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(conversql::limits::THREAD_STACK_BYTES)
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // The main future (the CLI commands, the accept loop) runs on a thread with the same stack.
    let main = std::thread::Builder::new()
        .name("conversql-main".into())
        .stack_size(conversql::limits::THREAD_STACK_BYTES)
        .spawn(move || runtime.block_on(run()));
    match main.map(std::thread::JoinHandle::join) {
        Ok(Ok(code)) => code,
        Ok(Err(_)) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: cannot start the main thread: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CONVERSQL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = conversql::cli::Cli::parse();
    match conversql::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
