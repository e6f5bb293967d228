package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.Locale;

/**
 * The controller pair's commands: {@code sanctl controllers} (both NSCs), {@code sanctl lun owner} / {@code lun
 * move} (a LUN's owner, preferred controller and failover mode), {@code sanctl drill kill|hang A|B --force},
 * {@code sanctl controller restart A|B}, {@code sanctl pull-drive --group G --index I} (the pull-drive drill) and
 * {@code sanctl drills} (the drill history, kept across restarts). {@code --verify} runs a drill's verifier.
 */
final class PairCommands {
    /** A controller of the pair. */
    enum Nsc { A, B }

    /** A LUN's preferred controller: A, B or none. */
    enum Preferred { A, B, NONE }

    /** Failover modes, as the EVA named its presentation modes. */
    enum Mode { NO_PREFERENCE, FAILOVER_ONLY, FAILOVER_FAILBACK }

    /** Drill kinds. */
    enum Kind { KILL, HANG, PARTITION }

    private PairCommands() {
    }

    static String ms(Object v) {
        if (!(v instanceof Number n) || n.doubleValue() < 0) {
            return "-";
        }
        return n instanceof Double || n instanceof Float ? String.format(Locale.ROOT, "%.2f ms", n.doubleValue()) : n.longValue() + " ms";
    }

    static String mirror(JsonObject c) {
        String m = str(c, "mirror");
        return c.getValue("mirrorLost") == null ? m : m + " (" + str(c, "mirrorLost") + ")";
    }

    /**
     * Runs {@code call}; a refusal naming the field {@code force} has {@code hint} (how the appliance names the JSON
     * field in its message) rewritten as the CLI's option ({@code --force}, prefixed to the hint's tail).
     */
    static ApiClient.Response withCliForce(java.util.function.Supplier<ApiClient.Response> call, String hint) {
        try {
            return call.get();
        } catch (ApiException e) {
            if ("force".equals(e.field())) {
                String cli = hint.startsWith("\"force\"") ? "--force" : "--" + hint;
                throw new ApiException(e.status(), e.getMessage().replace(hint, cli), e.field(), e.code(), e.body());
            }
            throw e;
        }
    }

    private static String str(JsonObject o, String key) {
        return ApiCommand.str(o, key);
    }

    @Command(name = "controllers", description = "Both controllers (NSC A and B): state, owned LUNs, mirror, dirty cache, heartbeat, takeovers.")
    static final class Controllers extends ApiCommand {
        @Override
        void run() {
            reply(null, api().get("/api/controllers"), r -> {
                Table t = new Table("NSC", "NAME", "STATE", "MIRROR", "DIRTY>", "HEARTBEAT RTT>", "TAKEOVERS>", "LUNS");
                for (JsonObject c : objects(r.array())) {
                    t.row(str(c, "id"), str(c, "name"), str(c, "state"), mirror(c),
                            Units.formatSize(c.getValue("dirtyBytes") == null ? num(c, "cacheDirtyBytes") : num(c, "dirtyBytes")),
                            ms(c.getValue("heartbeatRttMs")), num(c, "takeovers"), joined(c.getJsonArray("luns")));
                }
                t.print(out(), "no controllers");
            });
        }
    }

    /** {@code lun owner NAME}: shows the ownership; with --preferred and/or --mode sets it (the other kept). */
    @Command(name = "owner", description = "A LUN's owner, preferred controller and failover mode; set them with --preferred / --mode.")
    static final class Owner extends LunCommands.OneLun {
        @Option(names = "--preferred", paramLabel = "NSC", description = "Preferred controller: ${COMPLETION-CANDIDATES}.")
        Preferred preferred;

        @Option(names = "--mode", paramLabel = "MODE", description = "Failover mode: ${COMPLETION-CANDIDATES}.")
        Mode mode;

        @Override
        void run() {
            String path = LunCommands.lunPath(name) + "/ownership";
            if (preferred == null && mode == null) {
                reply(null, api().get(path), r -> show(r.object()));
                return;
            }
            JsonObject now = preferred == null || mode == null ? api().get(path).object() : new JsonObject();
            JsonObject b = new JsonObject()
                    .put("preferred", preferred == null ? now.getValue("preferred") : preferred == Preferred.NONE ? null : preferred.name())
                    .put("mode", mode == null ? now.getValue("mode") : mode.name());
            reply("set ownership of LUN " + name, api().put(path, b), r -> show(r.object()));
        }

        void show(JsonObject o) {
            fields("lun", str(o, "lun"), "owner", str(o, "owner"), "preferred", o.getValue("preferred") == null ? "none" : str(o, "preferred"),
                    "mode", str(o, "mode"));
        }
    }

    @Command(name = "move", description = "Move a LUN to the other controller now (its cached writes are destaged first).")
    static final class Move extends LunCommands.OneLun {
        @Option(names = "--to", required = true, paramLabel = "NSC", description = "Controller: ${COMPLETION-CANDIDATES}.")
        Nsc to;

        @Override
        void run() {
            reply(api().post(LunCommands.lunPath(name) + "/move", new JsonObject().put("to", to.name())),
                    "moved LUN " + name + " to controller " + to);
        }
    }

    @Command(name = "drill", description = "Failover drill: kill (crash) or hang a controller, or partition the bus between A and B; the survivor takes the LUNs over. Needs --force.")
    static final class Drill extends ApiCommand {
        @Parameters(index = "0", paramLabel = "KIND", description = "kill, hang or partition (partition: the NSC argument is ignored; the lease holder wins).")
        Kind kind;

        @Parameters(index = "1", paramLabel = "NSC", description = "The controller to stop: A or B.")
        Nsc target;

        @Option(names = "--force", description = "Really stop the controller (without it the appliance names the LUNs that would fail over).")
        boolean force;

        @Option(names = "--verify", description = "Run the drill's verifier: a scratch LUN written through the fault, every acknowledged write read back.")
        boolean verify;

        @Override
        void run() {
            JsonObject b = new JsonObject().put("kind", kind.name().toLowerCase(Locale.ROOT));
            if (force) {
                b.put("force", true);
            }
            if (verify) {
                b.put("verify", true);
            }
            ApiClient.Response r = withCliForce(() -> api().post("/api/controllers/" + target + "/drills", b), "\"force\": true");
            if (r.status() == 202) {   // a drill on the process serving the API: the survivor completes its report
                reply(r, "drill " + b.getString("kind") + " " + target + " (id " + r.object().getValue("id") + "): "
                        + str(r.object(), "outcome") + "; see `sanctl drills` once the partner leads");
                return;
            }
            reply("drill " + b.getString("kind") + " " + target + ": " + str(r.object(), "outcome"), r, x -> {
                JsonObject d = x.object();
                fields("detection", ms(d.getValue("detectionMillis")), "takeover", ms(d.getValue("takeoverMillis")),
                        "first I/O", ms(d.getValue("firstIoMillis")), "units moved", num(d, "unitsMoved"),
                        "writes acknowledged", num(d, "writesAcknowledged"), "writes verified", num(d, "writesVerified"),
                        "lost writes", num(d, "lostWrites"));
            });
        }
    }

    @Command(name = "pull-drive", description = "Drill: pull a drive (MISSING until `drive restore`); refused when it holds the last redundancy of an RStore unless --force.")
    static final class PullDrive extends ApiCommand {
        @Option(names = "--group", required = true, paramLabel = "ID", description = "Disk group id.")
        int group;

        @Option(names = "--index", required = true, paramLabel = "N", description = "Drive index in the group.")
        int index;

        @Option(names = "--verify", description = "Run the drill's verifier: a scratch LUN in the group written through the pull, read back.")
        boolean verify;

        @Option(names = "--force", description = "Pull even a drive holding the last redundancy of an RStore (data may be lost).")
        boolean force;

        @Override
        void run() {
            JsonObject b = new JsonObject().put("group", group).put("index", index).put("verify", verify).put("force", force);
            ApiClient.Response r = withCliForce(() -> api().post("/api/drills/pull-drive", b), "force to pull");
            reply("drill pull-drive " + group + "/" + index + ": " + str(r.object(), "outcome"), r, x -> {
                JsonObject d = x.object();
                fields("first I/O", ms(d.getValue("firstIoMillis")), "writes acknowledged", num(d, "writesAcknowledged"),
                        "writes verified", num(d, "writesVerified"), "lost writes", num(d, "lostWrites"));
            });
        }
    }

    @Command(name = "drills", description = "Drills so far (kept across restarts): detection, takeover and first-I/O times, units moved, writes acknowledged / verified / lost, outcome.")
    static final class Drills extends ApiCommand {
        @Override
        void run() {
            reply(null, api().get("/api/drills"), r -> {
                Table t = new Table("ID>", "KIND", "NSC", "STARTED", "DETECTION>", "TAKEOVER>", "FIRST I/O>", "UNITS MOVED>",
                        "ACKED>", "VERIFIED>", "LOST>", "OUTCOME");
                for (JsonObject d : objects(r.array())) {
                    t.row(num(d, "id"), str(d, "kind"), d.getValue("target") == null ? "-" : str(d, "target"),
                            Units.formatTime(num(d, "startedAt")), ms(d.getValue("detectionMillis")),
                            ms(d.getValue("takeoverMillis")), ms(d.getValue("firstIoMillis")), num(d, "unitsMoved"),
                            num(d, "writesAcknowledged"), num(d, "writesVerified"), num(d, "lostWrites"), str(d, "outcome"));
                }
                t.print(out(), "no drills");
            });
        }
    }

    @Command(name = "restart", description = "Bring a failed controller back: fresh mirrors, then LUNs that prefer it with failback move back.")
    static final class Restart extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NSC", description = "The controller: A or B.")
        Nsc target;

        @Override
        void run() {
            reply(null, api().post("/api/controllers/" + target + "/restart", new JsonObject()), r -> {
                JsonObject o = r.object();
                out().println("restarted controller " + target + "; failed back: " + joined(o.getJsonArray("failedBack")));
            });
        }
    }
}
