package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

import java.util.List;

/** {@code sanctl drive list|add|remove|fail|restore}: drives of the pool's disk groups, and drills. */
@Command(name = "drive", description = "Drives: list, add, remove, and fail/restore drills.",
        subcommands = {DriveCommands.ListDrives.class, DriveCommands.Add.class, DriveCommands.Remove.class,
                DriveCommands.Fail.class, DriveCommands.Restore.class})
final class DriveCommands {
    private DriveCommands() {
    }

    /** The drive table over {@code groups}; {@code onlyGroup} null = all groups. */
    static Table driveTable(List<JsonObject> groups, Integer onlyGroup) {
        Table t = new Table("GROUP>", "DRIVE>", "STATE", "CAPACITY>", "PSEGS>", "USED>", "USED%>", "RSS>", "SLOT>", "PATH");
        for (JsonObject g : groups) {
            if (onlyGroup != null && num(g, "id") != onlyGroup) {
                continue;
            }
            long pseg = num(g, "psegBytes");
            for (JsonObject d : ApiCommand.objects(g.getJsonArray("drives"))) {
                t.row(num(g, "id"), num(d, "index"), str(d, "state"), Units.formatSize(num(d, "capacityBytes")),
                        num(d, "psegCount"), Units.formatSize(num(d, "usedPsegs") * pseg),
                        num(d, "psegCount") == 0 ? "-" : (num(d, "usedPsegs") * 100 / num(d, "psegCount")) + "%",
                        num(d, "rssId"), num(d, "rssSlot"), str(d, "path"));
            }
        }
        return t;
    }

    private static long num(JsonObject o, String k) {
        return ApiCommand.num(o, k);
    }

    private static String str(JsonObject o, String k) {
        return ApiCommand.str(o, k);
    }

    /** A command on one disk group: {@code --group}, or the pool's only group. */
    abstract static class GroupCommand extends ApiCommand {
        @Option(names = {"-g", "--group"}, paramLabel = "GROUP",
                description = "Disk group id (default: the pool's only disk group).")
        Integer group;

        /** The --group value, else the pool's only group (asked once). */
        int group() {
            if (group == null) {
                List<JsonObject> gs = objects(api().get("/api/pool").object().getJsonArray("groups"));
                if (gs.size() != 1) {
                    throw new ParameterException(spec.commandLine(), "the pool has " + gs.size()
                            + " disk groups; name one with --group");
                }
                group = (int) num(gs.get(0), "id");
            }
            return group;
        }

        void printDrive(String verb, JsonObject d) {
            out().println(verb + " drive " + num(d, "index") + " of disk group " + group() + ": " + str(d, "state")
                    + ", " + Units.formatSize(num(d, "capacityBytes")) + ", " + str(d, "path"));
        }
    }

    @Command(name = "list", description = "Drives of every disk group (or of --group): state, capacity, PSEG use, RSS.")
    static final class ListDrives extends ApiCommand {
        @Option(names = {"-g", "--group"}, paramLabel = "GROUP", description = "Only this disk group.")
        Integer group;

        @Override
        void run() {
            JsonObject pool = api().get("/api/pool").object();
            List<JsonObject> gs = objects(pool.getJsonArray("groups"));
            if (group != null && gs.stream().noneMatch(g -> num(g, "id") == group)) {
                throw new ApiException(404, "no disk group with id " + group, "group", null, null);
            }
            if (json()) {
                io.vertx.core.json.JsonArray a = new io.vertx.core.json.JsonArray();
                for (JsonObject g : gs) {
                    if (group == null || num(g, "id") == group) {
                        for (JsonObject d : objects(g.getJsonArray("drives"))) {
                            a.add(d.copy().put("group", num(g, "id")));
                        }
                    }
                }
                raw(a.encodePrettily());
                return;
            }
            driveTable(gs, group).print(out(), "no drives");
        }
    }

    @Command(name = "add", description = "Add a drive (a sparse file under the pool directory) to a disk group.")
    static final class Add extends GroupCommand {
        @Option(names = {"-s", "--size"}, required = true, paramLabel = "SIZE", converter = Converters.SizeArg.class,
                description = "Drive size, 64M..64T in whole MiB, e.g. 1G.")
        long size;

        @Override
        void run() {
            reply(null, api().post("/api/pool/groups/" + group() + "/drives", new JsonObject().put("sizeBytes", size)), x -> printDrive("added", x.object()));
        }
    }

    /** A command on one drive of one group. */
    abstract static class DriveCommand extends GroupCommand {
        @Parameters(index = "0", paramLabel = "DRIVE", description = "Drive index within the disk group (see: sanctl drive list).")
        int drive;

        String path(String action) {
            return "/api/pool/groups/" + group() + "/drives/" + drive + "/" + action;
        }
    }

    @Command(name = "remove", description = "Remove a drive: its data moves to the other drives first (the command waits).")
    static final class Remove extends DriveCommand {
        @Override
        void run() {
            reply(null, api().post(path("remove"), null), x -> printDrive("removed", x.object()));
        }
    }

    @Command(name = "fail", description = "Drill: mark a drive FAILED (the disk group runs degraded).")
    static final class Fail extends DriveCommand {
        @Override
        void run() {
            reply(null, api().post(path("fail"), null), x -> printDrive("failed", x.object()));
        }
    }

    @Command(name = "restore", description = "Drill: bring a FAILED or MISSING drive back; a rebuild starts.")
    static final class Restore extends DriveCommand {
        @Option(names = "--wait", description = "Wait until the rebuild has finished.")
        boolean waitForRebuild;

        @Override
        void run() {
            ApiClient.Response r = api().post(path("restore"), null);
            JsonObject o = r.object();
            JsonObject rebuild = o.getJsonObject("rebuild");
            if (waitForRebuild) {
                rebuild = waitFor(rebuild);
            }
            if (json()) {
                raw(waitForRebuild ? o.copy().put("rebuild", rebuild).encodePrettily() : r.body());
                return;
            }
            printDrive("restored", o.getJsonObject("drive"));
            out().println(rebuildLine(rebuild));
        }

        private JsonObject waitFor(JsonObject rebuild) {
            int g = group();
            JsonObject last = rebuild;
            while (last != null && !last.getBoolean("finished", false)) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new UnreachableException("interrupted while waiting for the rebuild", e);
                }
                JsonObject jobs = api().get("/api/jobs").object();
                last = objects(jobs.getJsonArray("rebuilds")).stream().filter(x -> num(x, "group") == g).findFirst().orElse(null);
            }
            return last;
        }
    }

    /** "rebuild of disk group G: 10/20 64 KiB rows (50%), running". */
    static String rebuildLine(JsonObject r) {
        if (r == null) {
            return "rebuild: none reported";
        }
        String state = r.containsKey("failure") ? "FAILED: " + str(r, "failure")
                : r.getBoolean("finished", false) ? "finished" : "running";
        String s = "rebuild of disk group " + num(r, "group") + ": " + Units.progress(num(r, "done"), num(r, "total"), str(r, "unit"))
                + ", " + num(r, "membersRebuilt") + " members rebuilt, " + state;
        if (r.getJsonArray("unrecoverableRsds") != null && !r.getJsonArray("unrecoverableRsds").isEmpty()) {
            s += "; unrecoverable RSDs: " + ApiCommand.joined(r.getJsonArray("unrecoverableRsds"));
        }
        return s;
    }
}
