//! Desktop integration that is not the window: the app's icon and its entry in the desktop's menu.

pub mod entry;
pub mod icon;

use std::path::PathBuf;

/// `mqtt-playground install-desktop-entry [--remove]`.
#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// Take the menu entry and the icons out again instead of installing them.
    #[arg(long)]
    pub remove: bool,
}

/// Runs the subcommand: installs (or removes) the menu entry and icons, saying what it did.
pub fn run_install_command(args: &InstallArgs) -> anyhow::Result<()> {
    let data_home = entry::data_home()?;
    if args.remove {
        let removed = entry::remove(&data_home)?;
        if removed.is_empty() {
            println!(
                "nothing to remove: no MQTT Playground menu entry under {}",
                data_home.display()
            );
        }
        for path in removed {
            println!("removed {}", path.display());
        }
        return Ok(());
    }
    let exe = std::env::current_exe().map_err(entry::InstallError::NoExe)?;
    let written: Vec<PathBuf> = entry::install(&data_home, &exe)?;
    for path in &written {
        println!("wrote {}", path.display());
    }
    println!(
        "MQTT Playground is in your desktop's menu (it starts {}); `mqtt-playground install-desktop-entry --remove` takes it out",
        exe.display()
    );
    Ok(())
}
