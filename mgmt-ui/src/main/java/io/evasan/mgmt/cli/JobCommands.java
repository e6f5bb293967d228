package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** {@code sanctl job list|show|pause|resume|cancel}: background jobs (BGCOPY, rebuild, LOP copy). */
@Command(name = "job", description = "Background jobs (snapclone copies, rebuilds, LOP copies): list, show, pause, resume, cancel, clear.",
        subcommands = {JobCommands.ListJobs.class, JobCommands.Show.class, JobCommands.Pause.class, JobCommands.Resume.class,
                JobCommands.Cancel.class, JobCommands.Clear.class})
final class JobCommands {
    private static final Set<String> SHOWN = Set.of("id", "type", "target", "state", "done", "total", "unit", "percent");

    private JobCommands() {
    }

    static String path(String id) {
        return "/api/jobs/" + ApiClient.seg(id);
    }

    static String progress(JsonObject j) {
        String p = Units.progress(ApiCommand.num(j, "done"), ApiCommand.num(j, "total"), ApiCommand.str(j, "unit"));
        if (j.getValue("percent") instanceof Number n) {
            // the appliance's own percentage replaces the rounded-down one
            p = p.substring(0, p.lastIndexOf('(')) + "(" + formatPercent(n.doubleValue()) + "%)";
        }
        return p;
    }

    private static String formatPercent(double p) {
        return p == Math.rint(p) ? Long.toString((long) p) : String.format(java.util.Locale.ROOT, "%.1f", p);
    }

    @Command(name = "list", description = "Jobs with their progress.")
    static final class ListJobs extends ApiCommand {
        @Override
        void run() {
            reply(null, api().get("/api/jobs"), r -> {
                JsonObject o = r.object();
                Table t = new Table("ID", "TYPE", "TARGET", "STATE", "PROGRESS");
                if (o.getJsonArray("jobs") != null) {
                    for (JsonObject j : objects(o.getJsonArray("jobs"))) {
                        t.row(str(j, "id"), str(j, "type"), str(j, "target"), str(j, "state"), progress(j));
                    }
                } else {
                    // an appliance without job ids: its rebuild and BGCOPY lists
                    for (JsonObject b : objects(o.getJsonArray("rebuilds"))) {
                        String state = b.containsKey("failure") ? "FAILED" : b.getBoolean("finished", false) ? "DONE" : "RUNNING";
                        t.row("rebuild-" + num(b, "group"), "rebuild", "disk group " + num(b, "group"), state, progress(b));
                    }
                    for (JsonObject b : objects(o.getJsonArray("bgcopies"))) {
                        t.row("bgcopy-" + str(b, "snapshot"), "bgcopy", str(b, "snapshot") + " (LUN " + str(b, "lun") + ")",
                                str(b, "state"), progress(b));
                    }
                }
                t.print(out(), "no jobs");
                for (JsonObject g : objects(o.getJsonArray("groups"))) {
                    if (g.getBoolean("rebuildInProgress", false)) {
                        out().println("disk group " + num(g, "group") + ": rebuild in progress");
                    }
                    if (g.getBoolean("resyncInProgress", false)) {
                        out().println("disk group " + num(g, "group") + ": resync in progress");
                    }
                }
            });
        }
    }

    @Command(name = "clear", description = "Clear the finished jobs (done, cancelled, failed rebuilds) from the list.")
    static final class Clear extends ApiCommand {
        @Override
        void run() {
            reply(null, api().post("/api/jobs/clear", null), r -> {
                io.vertx.core.json.JsonArray ids = r.object().getJsonArray("cleared");
                out().println(ids.isEmpty() ? "no finished job to clear" : "cleared " + ids.size() + " finished job(s): "
                        + String.join(", ", ids.stream().map(String::valueOf).toList()));
            });
        }
    }

    /** A command on one job id ({@code bgcopy-<snapshot>}, {@code rebuild-<group>}, {@code lopcopy}). */
    abstract static class OneJob extends ApiCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "Job id, e.g. bgcopy-<snapclone>, rebuild-<group>, lopcopy.")
        String id;

        void printJob(String header, ApiClient.Response r) {
            reply(null, r, x -> {
                JsonObject j = x.object();   // parsed before the header is printed
                if (header != null) {
                    out().println(header);
                }
                List<Object> kv = new ArrayList<>(Arrays.asList("id", str(j, "id"), "type", str(j, "type"), "target", str(j, "target"),
                        "state", str(j, "state"), "progress", progress(j)));
                for (String k : j.fieldNames()) {
                    if (!SHOWN.contains(k)) {
                        kv.add(k);
                        kv.add(flat(k, j.getValue(k)));
                    }
                }
                fields(kv.toArray());
            });
        }
    }

    @Command(name = "show", description = "One job.")
    static final class Show extends OneJob {
        @Override
        void run() {
            printJob(null, api().get(path(id)));
        }
    }

    @Command(name = "pause", description = "Pause a job (a snapclone copy; rebuilds cannot be paused).")
    static final class Pause extends OneJob {
        @Override
        void run() {
            printJob("paused job " + id, api().post(path(id) + "/pause", null));
        }
    }

    @Command(name = "resume", description = "Resume a paused job.")
    static final class Resume extends OneJob {
        @Override
        void run() {
            printJob("resumed job " + id, api().post(path(id) + "/resume", null));
        }
    }

    @Command(name = "cancel", description = "Cancel a job. Cancelling a snapclone copy deletes the unfinished snapclone; "
            + "rebuilds are not cancelled.")
    static final class Cancel extends OneJob {
        @Override
        void run() {
            printJob("cancelled job " + id, api().post(path(id) + "/cancel", null));
        }
    }
}
