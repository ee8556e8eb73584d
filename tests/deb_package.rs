//! The .deb's metadata (Cargo.toml, `[package.metadata.deb]`): what it installs exists, and it
//! depends on the libraries the window loads at run time, which `$auto` cannot see.

/// `[package.metadata.deb]`, read from this checkout's Cargo.toml.
fn deb_metadata() -> toml::Table {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let text = std::fs::read_to_string(manifest).expect("Cargo.toml");
    let parsed: toml::Table = toml::from_str(&text).expect("Cargo.toml parses");
    parsed["package"]["metadata"]["deb"]
        .as_table()
        .expect("[package.metadata.deb]")
        .clone()
}

fn package_list(value: Option<&toml::Value>) -> Vec<String> {
    value
        .and_then(toml::Value::as_str)
        .unwrap_or("")
        .split(',')
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

#[test]
fn the_package_depends_on_the_libraries_the_window_loads_at_run_time() {
    let deb = deb_metadata();
    let depends = package_list(deb.get("depends"));
    // Seen in /proc/PID/maps of the running window (glow on X11) but absent from `ldd`: loaded with
    // dlopen, so dpkg-shlibdeps ($auto) leaves them out and a minimal system starts no window.
    for needed in [
        "libgl1",
        "libegl1",
        "libx11-6",
        "libx11-xcb1",
        "libxcursor1",
        "libxi6",
        "libxkbcommon0",
        "libxkbcommon-x11-0",
    ] {
        assert!(
            depends.iter().any(|d| d == needed),
            "depends lacks {needed}: {depends:?}"
        );
    }
    assert!(depends.iter().any(|d| d == "$auto"), "{depends:?}");
}

#[test]
fn every_file_the_package_installs_is_in_the_repository() {
    let deb = deb_metadata();
    let assets = deb["assets"].as_array().expect("assets");
    for asset in assets {
        let source = asset[0].as_str().expect("an asset's source");
        if source.starts_with("target/") {
            continue; // built by `cargo deb`
        }
        let pattern = concat!(env!("CARGO_MANIFEST_DIR"), "/").to_owned() + source;
        let found = match pattern.rsplit_once("/*.") {
            Some((dir, extension)) => std::fs::read_dir(dir)
                .map(|entries| {
                    entries.flatten().any(|e| {
                        e.path()
                            .extension()
                            .is_some_and(|x| x.to_string_lossy() == extension)
                    })
                })
                .unwrap_or(false),
            None => std::path::Path::new(&pattern).is_file(),
        };
        assert!(
            found,
            "the package installs {source}, which is not in the repository"
        );
    }
}
