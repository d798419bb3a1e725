// Package cluster hands OCR pages from `ocrbox serve` (the coordinator) to
// `ocrbox worker` nodes on other machines, over NATS JetStream.
//
// # Roles
//
// The coordinator (StartCoordinator) either embeds a NATS server with
// JetStream (Options.Listen; its store in Options.StoreDir, data_dir/nats;
// at most 256 MiB of memory and 1 GiB of disk; messages up to 8 MiB) or
// joins an existing NATS system (Options.URL). It creates the assets below, purges what a
// previous run left in them (serve is the single source of truth: after a
// restart it re-queues every unfinished task, so old jobs would only be
// done twice), and from then on sends pages (Recognize) and follows the
// nodes (Slots, Free, Changed, Infos, Nodes, Stats). One coordinator per
// NATS account: the names are fixed.
//
// A node (RunNode, `ocrbox worker`) connects to Options.URL, advertises
// its engines and slots (its --workers: pages it runs at once, whatever
// the engine), takes a job whenever a slot is free, runs it on its own
// engine processes and returns the result.
//
// # On the wire
//
//   - Stream OCRBOX_JOBS, subjects ocrbox.jobs.<engine>, work-queue
//     retention: one message per page job. In memory with the embedded
//     server (it stops with the coordinator, which purges at start
//     anyway), on disk in an external NATS system (which may restart on
//     its own). Body: the
//     protobuf sdk.RecognizeRequest with the page image and the
//     recognition parameters (languages, page number, DPI, wanted outputs,
//     engine options) — never a path (image_path is cleared; a page given
//     by path is read on the coordinator), never a user, task or file
//     name. Headers: Ocrbox-Job (a random job id, also Nats-Msg-Id),
//     Ocrbox-Page-Timeout, and Ocrbox-Image-Object when the image is in
//     the object store.
//   - One durable pull consumer per engine, jobs_<engine>, shared by every
//     node running it: explicit ack, AckWait 30 s, MaxDeliver 10.
//   - Stream OCRBOX_RESULTS, subject ocrbox.results, work-queue, stored
//     like the jobs: one message per answer. Body: the protobuf sdk.RecognizeResponse, or
//     the engine's error text; headers Ocrbox-Job, Ocrbox-Node,
//     Ocrbox-Delivered, Ocrbox-Error-Kind (bad_image, unsupported, failed)
//     and Ocrbox-Result-Object when the response is in the object store.
//     The coordinator reads it through its durable consumer "coordinator",
//     so a result published while the coordinator is briefly away waits
//     for it.
//   - Object store ocrbox-pages (on disk): page images and responses too
//     large for a message — above the server's max_payload less 256 KiB:
//     7.75 MiB embedded, 768 KiB with NATS's default 1 MiB, which works
//     unchanged — named image/<job> and result/<job>/<node>-<n>. The
//     coordinator deletes them when the job ends; a 1 h TTL sweeps the rest.
//   - Key-value bucket ocrbox-nodes: each node run puts its status (name,
//     host, version, engines with their infos, slots, busy, pages done and
//     failed, redeliveries, the ack subjects of the jobs it holds) every 2 s
//     under <name>.<run id>; entries live 10 min. Nodes and coordinator
//     keep a second connection for this, so a large page in transit never
//     delays a heartbeat.
//   - Core NATS (no storage): ocrbox.bell.<engine>, empty, rung after each
//     job is queued so idle nodes fetch at once (they also poll every
//     second); ocrbox.cancel, a job id, to stop a page being run.
//
// # Flow control
//
// A node fetches one job per free slot, the engines in turn (a no-wait
// pull request; the job may take up to a minute to arrive over a slow
// link), and the coordinator's caller publishes only while Free(engine) >
// 0: jobs do not pile up in the stream, so fair share holds across the
// cluster and a cancel takes effect at once — Recognize's ctx ending deletes the job
// from the stream if it still waits there, or tells the node running it to
// stop (ocrbox.cancel). Free counts the slots of the live nodes running the
// engine less the pages in flight of every engine sharing a node with it.
//
// # Cost
//
// BenchmarkRecognize (an engine that answers at once; coordinator and node
// in one process on a loaded 2-core machine): 5 ms per 300 KiB page, 22 ms
// per 2 MiB page, against ~1.5 s of OCR per dense page on one core.
//
// # Failure behaviour
//
//   - A node that dies or is cut off mid-page: it stops heartbeating; after
//     the node TTL (3 heartbeats, 6 s) the coordinator marks it lost, logs
//     it (warn), counts it in Stats.NodesLost, and NAKs the jobs the node
//     listed as held, so they go to another node at once. A job taken
//     after the node's last heartbeat comes back after AckWait (30 s)
//     instead. While a page runs the node sends InProgress every AckWait/3,
//     so a long page is never taken away from a live node.
//   - A node acks a job only after its result is stored (PubAck). A node
//     cut off after storing the result but before its ack reaches the
//     server makes the job run twice; the second result is dropped
//     (Stats.Duplicates), as is any result for a job nobody waits for.
//   - A node stopping cleanly (SIGTERM) NAKs the pages it runs (another
//     node takes them at once), finishes storing results it already has,
//     and says goodbye (its entry marked stopped: not counted as lost).
//   - Engine errors come back as a local engine's would: sdk.ErrBadImage
//     and sdk.ErrUnsupported (permanent for the caller), anything else
//     transient (the caller retries within its own budget). A page that
//     hangs past the page timeout has its engine process restarted on the
//     node, as serve does locally.
//   - A job delivered MaxDeliver times without an answer (each node that
//     took it vanished) fails with a transient error.
//   - No live node runs the engine: Recognize returns ErrNoWorker at once;
//     if every node running it is lost while a page waits, after one more
//     node TTL of grace (a restarting node) it returns ErrNoWorker too, and
//     the job is deleted.
//   - The coordinator restarting: the nodes reconnect by themselves (each
//     outage logged once), the coordinator purges jobs and results, and its
//     caller re-sends the unfinished pages; results for old jobs are
//     dropped.
//   - A slow link: a job may take up to a minute to reach a node, and an
//     object store transfer five; a link slower than ~2 Mbit/s makes an
//     8 MiB job outlast AckWait, so it is also handed to another node
//     (the first result counts).
//   - Connections reconnect forever with a backoff capped at 10 s; a node
//     started before the coordinator waits for it. Refused credentials or
//     TLS fail at once.
//
// # Security
//
// The embedded server requires the token (or user and password) when set,
// and serves TLS with TLSCert/TLSKey; with TLSCA it also requires client
// certificates signed by that CA. Clients present TLSCert/TLSKey and verify
// the server with TLSCA; NKeySeedFile signs in to an existing NATS system.
// Every node of the account can read every job (page images) and write
// results: give nodes their own NATS account in a shared system. The token
// and password are never logged.
package cluster
