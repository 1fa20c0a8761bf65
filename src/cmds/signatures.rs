//! `camscan signatures`: the knowledge set a scan with the same files would use, and where each
//! entry comes from.

use crate::record::CommandError;
use error::{Error, exit};
use input::environment::Environment;

/// `camscan signatures`' settings ([`knowledge::listing::LISTING`]).
pub struct Listing;

impl crate::cli::SettingList for Listing {
    const LIST: &'static [&'static dyn input::setting::Declared] = knowledge::listing::LISTING;
}

#[derive(Debug, clap::Args, Default)]
pub struct SignaturesArgs {
    /// `--signatures`, `--kind`, `-f`.
    #[command(flatten)]
    pub settings: crate::cli::SettingArgs<Listing>,
    #[command(flatten)]
    pub config: crate::cli::ConfigFile,
}

pub(super) fn run(args: &SignaturesArgs, env: &Environment) -> Result<u8, CommandError> {
    let file = super::config_file(args.config.path()?.as_deref())?;
    let own = args.settings.resolve(&file.settings)?;
    let given = own.get(&knowledge::listing::SIGNATURES);
    let (kind, format) = (
        own.get(&knowledge::listing::KIND),
        own.get(&knowledge::listing::FORMAT),
    );
    let k = knowledge::load(&given, knowledge::user_dir(env).as_deref())?;
    let mut out = std::io::stdout().lock();
    let written = knowledge::listing::write(&k, kind, format, &mut out);
    match written {
        Ok(()) => Ok(exit::FOUND),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(exit::FOUND),
        Err(source) => Err(Error::WriteOutput {
            path: "stdout".into(),
            source,
        }
        .into()),
    }
}
