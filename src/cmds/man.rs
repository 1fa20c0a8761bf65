//! `camscan man`: the manual (roff), rendered from the same clap definitions as `--help`: on
//! stdout whole, or (`--dir`) one file per page, as the package installs them.

use crate::record::CommandError;
use error::Error;

/// The manual page (roff): the top-level page with each subcommand's page after it, every flag
/// with its help, environment variable and default.
pub fn man_page(out: &mut dyn std::io::Write) -> std::io::Result<()> {
    for (_, page) in man_pages()? {
        out.write_all(&page)?;
    }
    Ok(())
}

/// `camscan man`'s arguments.
#[derive(Debug, clap::Args, Default)]
pub struct ManArgs {
    /// `--dir`.
    #[command(flatten)]
    pub settings: crate::cli::SettingArgs<Man>,
}

/// `camscan man`'s settings.
pub struct Man;

impl crate::cli::SettingList for Man {
    const LIST: &'static [&'static dyn input::setting::Declared] = &[&MAN_DIR];
}

/// `man --dir`: the manual's pages written there, one file each.
pub static MAN_DIR: input::setting::Setting<Option<std::path::PathBuf>> = input::setting::Setting {
    key: "dir",
    flag: "--dir",
    short: None,
    repeat: input::setting::Repeat::Once,
    env: "",
    value_name: "DIR",
    help: "Write each page as its own file in DIR (`camscan.1`, `camscan-scan.1`, ...), the \
               pages `camscan.1` refers to, instead of the whole manual on stdout",
    default: None,
    choices: None,
    parse: input::setting::path,
};

/// The manual's pages, each with its file name: `camscan.1`, then `camscan-COMMAND.1` for each
/// command (the pages `camscan.1`'s SUBCOMMANDS refer to).
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    use clap::CommandFactory;
    let mut cmd = super::Cli::command();
    // Built, so the `help` command camscan.1 lists is there too.
    cmd.build();
    let mut pages = Vec::new();
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    pages.push(("camscan.1".to_string(), page));
    for sub in cmd.get_subcommands() {
        let name = format!("camscan-{}", sub.get_name());
        let mut page = Vec::new();
        let command = sub
            .clone()
            .display_name(name.clone())
            .bin_name(name.clone());
        clap_mangen::Man::new(command).render(&mut page)?;
        pages.push((format!("{name}.1"), page));
    }
    Ok(pages)
}

pub(super) fn run(args: &ManArgs) -> Result<u8, CommandError> {
    if let Some(dir) = &args.settings.values()?.get(&MAN_DIR) {
        let pages = man_pages().map_err(|source| Error::WriteOutput {
            path: dir.clone(),
            source,
        })?;
        for (name, page) in pages {
            let path = dir.join(name);
            std::fs::write(&path, page).map_err(|source| Error::WriteOutput { path, source })?;
        }
        return Ok(error::exit::FOUND);
    }
    match man_page(&mut std::io::stdout().lock()) {
        Ok(()) => Ok(error::exit::FOUND),
        // A closed pipe (`camscan man | head`) is no error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(error::exit::FOUND),
        Err(source) => Err(Error::WriteOutput {
            path: "stdout".into(),
            source,
        }
        .into()),
    }
}
