//! camscan finds every network camera and video stream on a LAN and tells its user exactly how to open
//! each one.
//!
//! # Layout
//!
//! Data flows one way: targets -> probe -> detect -> analyze -> registry -> export.
//!
//! The lower floors are crates of their own in the workspace (`crates/`), named in the code by
//! their library names, so a file above cannot be imported from below (Cargo refuses it) and an
//! edit above them recompiles none of them: [`input`] (the settings machinery and the process
//! environment), [`model`], [`proto`], [`store`], [`error`], [`sanitize`], [`table_writer`],
//! [`registry`], [`net`], [`credentials`], [`knowledge`], [`export`], [`timing`], [`detect`] and
//! [`analyze`] (each `camscan-<name>` in `crates/<name>/`). The rest is this crate's modules.
//!
//! * [`cli`]: the door: the adapter that makes clap's flags from declared settings (every flag
//!   also reads `CAMSCAN_*`; `cli::SettingArgs` over a command's list), the global flags
//!   (`cli::GLOBAL`) and the process's argv and environment, read once (`cli::Cli`, generic over
//!   the commands' list). The config file is the door's too: its shape in `cli::file` (the keys
//!   the commands hand it, `cmds::FileKeys`, taken out by a sieve) and its one reading per
//!   command; doctor judges its text with the reader its room hands down (`doctor::FileReader`).
//!   Only `cmds` and `cli` name clap: the value lists of choices declared below are made from
//!   their [`input::choice::Choice`]. There is no module of settings: each is declared beside
//!   its use; a scan's configuration is [`scan::ScanConfig`] (what its plan needs), and the
//!   command's whole scan, with its report's printing and its recording, [`record::ScanJob`].
//! * [`credentials`] (crate `camscan-credentials`, `crates/credentials/`): credentials to try, their scopes, and safe rendering into URLs.
//! * [`cmds`]: one room per command (`cmds::scan`, `cmds::watch`, `cmds::devices`, ...): its
//!   arguments, their resolution once into typed settings, and its run, which builds the
//!   runtime, plugs the long-running parts together and calls the layers below; the list of
//!   commands (`cmds::Command`, one line each) and `cmds::reference`, which renders the clap
//!   definitions as `docs/reference/cli.md` (a test keeps the file in step). `main` only parses,
//!   sets up logging and exits. Nothing below names it.
//! * [`scan`]: one scan as stages you can see, each a file with its inputs and outputs in its
//!   signature: `config` (its validated configuration, [`scan::ScanConfig`], the plan's input),
//!   `settings` (its declared settings listed once, `SCAN`), `plan` (targets, guards,
//!   interfaces, the shared analysis context), `sweep`
//!   (the discovery stages and port probes), `dispatch`, `open_port` (one port's detection and
//!   analysis), `collect` (registry, finality, signals), `reverse_dns` and `output`; `scan::run`
//!   wires them with bounded channels and decides the exit code.
//! * [`discovery`]: where addresses and devices come from: the user's targets, ARP liveness (raw
//!   frames as root, else the kernel neighbour table; paced by a broadcast budget, in passes while
//!   hosts may hide), host discovery of routed ranges (ping and likely ports, `discovery::hosts`),
//!   the counts behind the report's coverage (`discovery::tally`), ONVIF WS-Discovery, SSDP, the vendor protocols
//!   (one engine, one registration each: SADP, DHIP, DVRIP, Ubiquiti, Hanwha, Vivotek, Sony, Bosch,
//!   Foscam), mDNS / DNS-SD, and the camera-vendor OUI table, each method with its stage of a scan
//!   (listed once in `discovery::STAGES`); and, for `watch`, the listener that hears devices
//!   announce themselves (WS-Discovery Hello/Bye, SSDP NOTIFY).
//! * [`probe`]: the bounded TCP connect pool, port-major and lazy; a connect to a host that answered
//!   ARP whose SYN found no neighbour entry is asked again, never counted filtered.
//! * [`detect`] (crate `camscan-detect`, `crates/detect/`): which protocol an open port speaks (bytes to send + a pure classifier).
//! * [`analyze`] (crate `camscan-analyze`, `crates/analyze/`): RTSP path discovery, login within the per-host budget, channel walk, PLAY
//!   verification (retina, every await under a deadline), the ONVIF device API, optional ffprobe
//!   (a stream's credential reaches ffmpeg and ffprobe only on their stdin, `analyze::ffconcat`).
//! * [`net`] (crate `camscan-net`, `crates/net/`): OS networking: fd limits, connect with errno classification, interfaces, multicast
//!   sockets, the ARP packet socket (the workspace's only `unsafe`), the kernel's neighbour table
//!   (`net::neigh`), ICMP Echo (`net::ping`), and the small hand-written RTSP,
//!   HTTP, RTMP and STUN clients the detectors and analysers share, and a camera's snapshot
//!   client (`net::snapshot`).
//! * [`proto`] (crate `camscan-proto`, `crates/proto/`): pure, never-panicking parsers of device bytes (RTSP/HTTP heads and bodies, auth
//!   challenges, SDP with the repairs real cameras need and the media facts it carries (H.264
//!   and H.265 parameter sets, MPEG-4 Visual VOL headers, AAC configs), a bounded XML walk, WS-Discovery, SOAP, SSDP and
//!   UPnP descriptions, the vendor discovery answers, mDNS / DNS-SD messages, ARP, ICMP Echo, the neighbour table, ffprobe JSON, and for the stream
//!   detectors HLS playlists, fMP4 boxes, MPEG-TS (PMT, SPS, ADTS), DASH manifests, STUN, RTMP
//!   handshake/AMF0/chunks, HTTP-FLV, WHEP replies, MJPEG multipart and JPEG headers), each with a
//!   cargo-fuzz target in `fuzz/` (`scripts/fuzz`).
//! * [`knowledge`] (crate `camscan-knowledge`, `crates/knowledge/`): what camscan knows as data (`data/*.yaml`, embedded, extendable by user files):
//!   the vendor registry, HTTP fingerprint signatures and probe paths, RTSP paths per vendor, HTTP
//!   media paths, RTMP names and camera OUIs, the whole IEEE MAC registry (`knowledge::oui`,
//!   `data/oui/`), and what audit judges with: published firmware advisories and the makers'
//!   factory credentials (`knowledge::advisories`), and the makers' firmware versions compared
//!   without guessing (`knowledge::firmware`). One process-wide set, installed by `main`.
//! * [`model`] (crate `camscan-model`, `crates/model/`): plain serde data, the JSON contract, and
//!   the pure types every layer shares (address sets, credentials, what the inventory keeps for the
//!   next scan, one poison-tolerant lock). The contract only: no settings, no I/O.
//! * [`input`] (crate `camscan-input`, `crates/input/`): the settings machinery, below the model:
//!   a setting's one declaration (`input::setting::Setting`), the closed sets of names some take
//!   (`input::choice::Choice`, `input::choices!`) and the process environment read once at the
//!   entrance (`input::environment`). The declarations themselves are the modules' own
//!   (`<module>/settings.rs`, `store::settings`).
//! * [`table_writer`] (crate `camscan-table-writer`, `crates/table_writer/`): the one writer of the tables people read (comfy-table is named there only).
//! * [`registry`] (crate `camscan-registry`, `crates/registry/`): merges evidence into devices (one per box: by MAC, endpoint or serial), keeping
//!   each identity field from its most trustworthy source, in deterministic order; its `names`
//!   keeps every name with its source, spells makers as the vendor registry does and sets
//!   factory defaults aside as evidence.
//! * [`export`] (crate `camscan-export`, `crates/export/`): table, JSON, CSV, XML, YAML, NDJSON and M3U renderers writing to a given writer,
//!   and configuration for go2rtc, Frigate, MediaMTX and a Home Assistant paste sheet; the
//!   report's JSON Schema and XSD, drawn from the model's types (`export::schema`).
//! * [`push`]: `camscan push` (and `scan --push`, `watch --push`): the inventory's cameras
//!   written into a running Frigate, go2rtc or MediaMTX through its API, as the exports write
//!   them: a pure plan (`push::plan`: add, update, keep, leave a person's entry) from the tool's
//!   read-back and the inventory's ledger of what camscan wrote (`store`'s `pushes`), one request
//!   per camera (`push::tools`, each tool's contract cited), and a read-back that verifies it.
//! * [`store`] (crate `camscan-store`, `crates/store/`): the inventory: every scan recorded in an SQLite file (or the fleet hub's
//!   PostgreSQL database), devices under a stable identity, their states and the events derived
//!   between scans; the key of its credential hashes in a file of its own (`store::cred_key`),
//!   never in the database; where an inventory is (an SQLite file or a PostgreSQL URL, told
//!   apart once: [`store::InventoryAt`]). By topic: its `lib.rs` is the handle and the map, and each topic
//!   (devices, streams, scans, events, checks, findings, sites, requests, replication) holds its
//!   methods, types, SQL for both engines and tests. It uses only the model and the settings
//!   machinery (its crate depends on nothing else of camscan's); the long-running
//!   parts share it through one handle, `store::SharedStore`.
//! * [`notify`]: `camscan watch`'s notification sinks (stdout, webhook, exec, MQTT with Home
//!   Assistant discovery), each fed from the store's outbox at least once and in order, with
//!   backoff.
//! * [`record`]: a scan and the inventory: a scan as a command runs it (`record::ScanJob`: the
//!   scan's configuration, its report's printing, where it is recorded), opening the inventory
//!   where the settings say, what it knows of
//!   the targets before a scan, and recording the scan after (with its summary line). A recorded
//!   scan's steps run in one order, written once (`record::run_scan`), which `scan`, `audit` and the
//!   rounds of `watch`, `serve` and the fleet's agent all run (`record::round::scan_round`: the
//!   recorded scan with its figures). What the long-running parts share is here too
//!   (`record::round`): the device gauges read back (`round::refresh_devices`), a host's turn
//!   handed to the task beside it (`round::Turn`, `round::Beside`) and what serve shares with its
//!   watcher (`round::Embedded`). [`CommandError`](record::CommandError) is how a command fails.
//!   Above the scan: the pipeline, the store and the sinks never name it.
//! * [`metrics`]: `camscan watch --metrics`: the watch's Prometheus series (devices, stream checks,
//!   scans, events, sinks) and the `/metrics` endpoint serving them. Above the scan: nothing in the
//!   pipeline, the store or the sinks names it (`scripts/module-cycles` checks).
//! * [`watch`]: `camscan watch`: scans on a schedule (and for devices that announce themselves),
//!   light checks of the known streams between scans (`watch::stream_check`, one check;
//!   `watch::check_rounds`, their schedule; `watch::rounds`, the scan rounds), the sinks'
//!   delivery tasks and the metrics endpoint, signals and reload. Above the scan: its rounds are
//!   [`record::round`]'s recorded scans; inside `camscan serve` it runs embedded (`watch::run_embedded`),
//!   and with `--hub` the fleet's agent runs beside its rounds, in their turn (`cmds::watch`
//!   starts it).
//! * [`serve`]: `camscan serve`: the inventory as a REST API under `/api/v1` (axum, through
//!   [`http_server`]'s accept loop, which the metrics endpoint shares) and its events live as
//!   Server-Sent Events; its security (login, CSRF, TLS, headers) in `serve::auth`, the token
//!   file in `serve::token`.
//!   Above the scan: it reads the store, and its API scans are [`record::round`]'s; the watcher inside
//!   it and the fleet's agent beside it are plugged in by `cmds::serve` (`serve::Parts`).
//! * [`preview`]: `camscan serve`'s live preview: one RTSP session per watched stream fanned out
//!   to byte-capped viewer queues, fragmented MP4 for Media Source Extensions and WebRTC (WHEP)
//!   through str0m, the camera's own H.264 never transcoded.
//! * [`http_server`]: the accept loop of camscan's HTTP servers (header deadline, connection
//!   life and count capped, optional TLS handshake under the same deadline, graceful stop).
//! * [`doctor`]: `camscan doctor`: why a scan may miss things (privileges, interfaces, multicast
//!   routes, the open-file limit, ffprobe, the config file, the store read-only, the serve
//!   token's permissions, the sinks), each a pass / warn / fail line with its fix. Above the
//!   scan; it reads local state and sends nothing but a TCP connect to each configured sink.
//! * [`audit`]: `camscan audit`: security findings judged from what a scan saw (pure rules in
//!   `audit::rules`, and `audit::known` for those judged with the knowledge files, one per stable
//!   finding id), commissioning against a plan (`audit::plan`), their table, JSON and CSV
//!   (`audit::render`), and the handover report (`audit::report`, with each camera's picture from
//!   `audit::thumbnail`). Above the scan: it reads a report (a scan's, or the inventory's); its own
//!   questions (SNMP, a legacy TLS hello, with `--check-defaults` the makers' factory logins
//!   inside the scan's login budget) are in `audit::probe`; which open findings an audit may resolve,
//!   in `audit::resolve`. `cmds/audit/record.rs` keeps its findings in the store
//!   (`store::findings`) with their `finding_new`/`finding_resolved` events.
//! * [`fleet`]: a site's agent (`watch --hub`, `serve --hub`, `scan --hub`): the site's own
//!   inventory copied to a hub over a link that fails now and then (the store's `replication`),
//!   and the scans the hub asks of the site claimed, held to the site's own rules and run in the
//!   host's turn (`fleet::Executor`, built by `cmds::agent`). Above the scan: it uses `scan`,
//!   `record` and the store, and names neither host; what a site's login may do at the hub is
//!   enforced by PostgreSQL (the store's `site_admin`: a role per site, row-level security).
//! * [`sanitize`] (crate `camscan-sanitize`, `crates/sanitize/`): makes device strings safe for
//!   terminals and spreadsheets.
//! * [`error`] (crate `camscan-error`, `crates/error/`): the errors a command fails with, the exit
//!   codes, and the typed failures of the layers above it (a connect's errno, an analyser's).
//! * [`timing`] (crate `camscan-timing`, `crates/timing/`): where a scan's time goes, per port phase and per device, on the `timing`
//!   log target (`scripts/bench` prints the slowest devices from it).
//!
//! Dependencies point down, and the top is a tree: [`cmds`] composes `serve`, `watch`, `fleet`,
//! `doctor` and `audit`, siblings none of which names another (serve's scheduled watcher, and the
//! fleet's agent beside `watch --hub` or `serve --hub`, are plugged in by `cmds::serve`,
//! `cmds::watch` and `cmds::agent`); what serve, watch and the agent share, a recorded scan and a
//! host's turn, is [`record::round`], below them. `registry` uses only `model`; `export` the model,
//! the store's types, `sanitize`, the table writer and the settings machinery; `store` only `model`
//! and `input`. The map: each top-level module on its floor (the longest
//! path down from it) with the modules it names, drawn from the code by
//! `scripts/module-cycles --write-map`; `scripts/module-cycles` (part of `scripts/test`) fails when
//! it is not the code's.
//!
//! ```text
//! floor 10  cmds         -> analyze, audit, cli, credentials, discovery, doctor, error, export,
//!                           fleet, input, knowledge, metrics, model, net, notify, probe, push,
//!                           record, sanitize, scan, serve, store, table_writer, watch
//! floor 9   doctor       -> discovery, error, input, net, notify, probe, record, sanitize, store,
//!                           table_writer
//!           fleet        -> probe, record, scan, store
//!           serve        -> analyze, credentials, error, export, http_server, input, knowledge,
//!                           metrics, model, net, preview, probe, push, record, sanitize, scan,
//!                           store
//!           watch        -> analyze, credentials, discovery, error, export, input, metrics, model,
//!                           net, notify, push, record, scan, store
//! floor 8   record       -> analyze, error, export, input, metrics, model, net, scan, store
//! floor 7   scan         -> analyze, credentials, detect, discovery, error, export, input,
//!                           knowledge, model, net, probe, proto, registry, sanitize, timing
//! floor 6   probe        -> discovery, input, net
//! floor 5   audit        -> analyze, credentials, detect, error, export, input, knowledge, model,
//!                           net, proto, sanitize, store
//!           discovery    -> analyze, error, input, knowledge, model, net, proto, registry
//!           preview      -> analyze, credentials, error, model, net, store
//! floor 4   analyze      -> credentials, detect, error, input, knowledge, model, net, proto,
//!                           timing
//!           cli          -> error, input, notify, push
//!           metrics      -> http_server, notify, sanitize, store
//! floor 3   detect       -> error, input, knowledge, model, net, proto
//!           notify       -> error, input, model, net, sanitize, store
//!           push         -> credentials, export, input, model, net, proto, sanitize, store,
//!                           table_writer
//! floor 2   credentials  -> input, model, proto
//!           export       -> input, model, sanitize, store, table_writer
//!           knowledge    -> error, input, registry, sanitize, table_writer
//!           net          -> error, input, model, proto
//! floor 1   error        -> model
//!           proto        -> model
//!           registry     -> model
//!           store        -> input, model
//!           table_writer -> input
//! floor 0   http_server  -> (none)
//!           input        -> (none)
//!           model        -> (none)
//!           sanitize     -> (none)
//!           timing       -> (none)
//! ```
//!
//! `scripts/module-cycles` also fails when two top-level modules, or two files of one folder,
//! depend on each other, when the bottom layers (`model`, `proto`, `error`, `registry`, `export`,
//! `store`, `net`) reach above themselves, when the pipeline, the store or the sinks name what sits
//! above the scan (`watch`, `serve`, `doctor`, `metrics`, `audit`, `fleet`, `record`), when one of
//! the siblings names another, or when anything but `main` names `cmds`; `scripts/house-report`
//! fails on a file over 700 lines of non-test code or a function over 150 lines.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod audit;
pub mod cli;
pub mod cmds;
pub mod discovery;
pub mod doctor;
pub mod fleet;
pub mod http_server;
pub mod metrics;
pub mod notify;
pub mod preview;
pub mod probe;
pub mod push;
pub mod record;
pub mod scan;
pub mod serve;
pub mod watch;
