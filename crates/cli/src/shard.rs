use std::path::PathBuf;

use clap::Args;
use pinhole_compute::data::{MANIFEST_FILE, Split, load_split, make_shards};

use super::write_atomically;

#[derive(Args)]
pub struct ShardArgs {
    /// A folder of the official `.bin` files or the official `cifar-10-binary.tar.gz`.
    #[arg(long, default_value = "../shared/data/cifar10")]
    data: PathBuf,
    /// Folder to write the shards and `manifest.json` into (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Records per shard: smaller shards let in-tab training start sooner.
    #[arg(long, default_value_t = 2500)]
    records_per_shard: usize,
}

pub fn run(args: ShardArgs) -> Result<(), String> {
    let train = load_split(&args.data, Split::Train).map_err(|e| e.to_string())?;
    let test = load_split(&args.data, Split::Test).map_err(|e| e.to_string())?;
    let (manifest, files) = make_shards(
        &[(Split::Train, &train), (Split::Test, &test)],
        args.records_per_shard,
    );
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    for (name, bytes) in &files {
        write_atomically(&args.out.join(name), bytes)?;
    }
    // The manifest last: a reader never sees one that lists shards not yet written.
    write_atomically(&args.out.join(MANIFEST_FILE), manifest.to_json().as_bytes())?;
    println!(
        "{}: {} training and {} test records in {} shards",
        args.out.join(MANIFEST_FILE).display(),
        train.len(),
        test.len(),
        files.len()
    );
    Ok(())
}
