package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sanctl snapshot ...}: snapshots and snapclones, and a snapclone's background copy. */
@Command(name = "snapshot", description = "Snapshots and snapclones: list, create, delete, present/unpresent to a host, "
        + "pause/resume a snapclone's copy.",
        subcommands = {SnapshotCommands.ListSnapshots.class, SnapshotCommands.Create.class, SnapshotCommands.Delete.class,
                SnapshotCommands.Present.class, SnapshotCommands.Unpresent.class,
                SnapshotCommands.PauseCopy.class, SnapshotCommands.ResumeCopy.class})
final class SnapshotCommands {
    private SnapshotCommands() {
    }

    static String path(String name) {
        return "/api/snapshots/" + ApiClient.seg(name);
    }

    static String bgcopy(JsonObject s) {
        JsonObject bg = s.getJsonObject("bgcopy");
        return bg == null ? null : Units.progress(ApiCommand.num(bg, "done"), ApiCommand.num(bg, "total"), ApiCommand.str(bg, "unit"))
                + " " + ApiCommand.str(bg, "state");
    }

    static String kind(JsonObject s) {
        return s.getBoolean("snapclone", false) ? "snapclone" : "snapshot";
    }

    @Command(name = "list", description = "Snapshots and snapclones (of every LUN, or of --lun).")
    static final class ListSnapshots extends ApiCommand {
        @Option(names = "--lun", paramLabel = "LUN", description = "Only the snapshots of this LUN.")
        String lun;

        @Override
        void run() {
            ApiClient.Response r = api().get("/api/snapshots");
            if (lun != null) {
                api().get(LunCommands.lunPath(lun)); // 404 naming the LUN when it does not exist
            }
            JsonArray shown = new JsonArray();
            for (JsonObject s : objects(r.array())) {
                if (lun == null || lun.equals(str(s, "lun"))) {
                    shown.add(s);
                }
            }
            if (json()) {
                raw(lun == null ? r.body() : shown.encodePrettily());
                return;
            }
            Table t = new Table("NAME", "LUN", "KIND", "DISK>", "CREATED", "BGCOPY", "PRESENTED (INITIATOR=HOST LUN)");
            for (JsonObject s : objects(shown)) {
                t.row(str(s, "name"), str(s, "lun"), kind(s), num(s, "disk"), Units.formatTime(num(s, "createdMillis")), bgcopy(s),
                        s.getJsonArray("presentations") == null ? null : LunCommands.presentations(s.getJsonArray("presentations")));
            }
            t.print(out(), lun == null ? "no snapshots" : "no snapshots of LUN " + lun);
        }
    }

    @Command(name = "create", description = "Take a snapshot (or with --snapclone a snapclone) of a LUN. It holds exactly "
            + "the writes acknowledged before the command.")
    static final class Create extends ApiCommand {
        @Parameters(index = "0", paramLabel = "LUN", description = "LUN to snapshot.")
        String lun;

        @Parameters(index = "1", paramLabel = "NAME", description = "Name of the new snapshot.")
        String name;

        @Option(names = "--snapclone", description = "A snapclone: a full copy made in the background (BGCOPY).")
        boolean snapclone;

        @Option(names = "--policy", paramLabel = "POLICY", description = "Allocation policy: RESERVE_FULL or ON_DEMAND "
                + "(default: the controller's).")
        String policy;

        @Option(names = {"-g", "--group"}, paramLabel = "GROUP", description = "With --snapclone: the disk group of the "
                + "clone (id or name, see: sanctl pool show); it becomes a LUN of that group. Moving a LUN to another disk "
                + "group = snapclone with --group, then delete the source.")
        String group;

        @Option(names = "--mode", paramLabel = "MODE", description = "With --snapclone: EAGER (default; a host write "
                + "copies the old data into the clone's predecessor too, seed 004 Figs. 13-14) or SCALING (it does not; "
                + "what the predecessor needs is copied when the clone leaves, Fig. 15).")
        String mode;

        @Option(names = {"-M", "--quiesce-threshold"}, paramLabel = "M", description = "With --snapclone: when fewer than "
                + "M segments remain to copy into the predecessor as the clone leaves, quiesce and copy them; else copy "
                + "online and count again (Fig. 15d). Default: the controller's.")
        Integer quiesceThreshold;

        @Override
        void run() {
            JsonObject body = new JsonObject().put("name", name).put("snapclone", snapclone);
            if (mode != null) {
                body.put("mode", mode.toUpperCase(java.util.Locale.ROOT));
            }
            if (quiesceThreshold != null) {
                body.put("quiesceThreshold", quiesceThreshold);
            }
            if (policy != null) {
                body.put("policy", policy);
            }
            if (group != null) {
                body.put("group", group.matches("\\d{1,9}") ? (Object) Integer.parseInt(group) : group);
            }
            ApiClient.Response r = api().post(LunCommands.lunPath(lun) + "/snapshots", body);
            reply(null, r, x -> took(x.object()));
        }

        private void took(JsonObject s) {
            String what = snapclone ? "snapclone" : "snapshot";
            if (!s.getBoolean("taken", true)) {
                out().println(what + " " + name + " of LUN " + lun + " is queued and not taken yet: " + str(s, "message"));
                return;
            }
            out().println("took " + what + " " + name + " of LUN " + lun + " (disk " + num(s, "disk") + ", "
                    + (group == null ? "" : "disk group " + group + ", ")
                    + (s.getValue("mode") == null ? "" : "mode " + str(s, "mode")
                    + (s.getValue("quiesceThreshold") == null ? "" : " M=" + num(s, "quiesceThreshold")) + ", ") + Units.formatTime(num(s, "createdMillis")) + ")");
            if (bgcopy(s) != null) {
                out().println("background copy: " + bgcopy(s));
            }
        }
    }

    @Command(name = "delete", description = "Delete a snapshot or snapclone.")
    static final class Delete extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Snapshot name.")
        String name;

        @Override
        void run() {
            reply(api().delete(path(name)), "deleted snapshot " + name);
        }
    }

    /** present / unpresent: the snapshot, the initiator and host LUN. */
    abstract static class Presentation extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "Snapshot (or snapclone) name.")
        String name;

        @Option(names = {"-i", "--initiator"}, required = true, paramLabel = "IQN",
                description = "Initiator name (iqn....), or * for every initiator.")
        String initiator;

        @Option(names = {"-l", "--host-lun"}, required = true, paramLabel = "N", description = "LUN number the host sees, 0..16383.")
        int hostLun;

        void send(String action, String verb) {
            reply(null, api().post(path(name) + "/" + action, new JsonObject().put("initiator", initiator).put("hostLun", hostLun)),
                    r -> {
                        JsonArray p = r.object().getJsonArray("presentations");
                        out().println(verb + " snapshot " + name + " (" + initiator + " host LUN " + hostLun + "); presented to: "
                                + (p == null || p.isEmpty() ? "-" : LunCommands.presentations(p)));
                    });
        }
    }

    @Command(name = "present", description = "Present a snapshot (or a snapclone, also while it copies) to an initiator as a "
            + "host LUN number, read-write: the host's writes change the snapshot only, never its LUN.")
    static final class Present extends Presentation {
        @Override
        void run() {
            send("present", "presented");
        }
    }

    @Command(name = "unpresent", description = "Hide a snapshot from an initiator again (a presented snapshot cannot be deleted).")
    static final class Unpresent extends Presentation {
        @Override
        void run() {
            send("unpresent", "unpresented");
        }
    }

    /** Pause / resume one snapclone's background copy. */
    abstract static class CopyControl extends ApiCommand {
        @Parameters(index = "0", paramLabel = "SNAPCLONE", description = "Snapclone name.")
        String name;

        void control(String action, String verb) {
            reply(null, api().post(path(name) + "/bgcopy/" + action, null),
                    r -> out().println(verb + " the background copy of snapclone " + name + ": " + bgcopy(r.object())));
        }
    }

    @Command(name = "pause-copy", description = "Pause a snapclone's background copy (BGCOPY).")
    static final class PauseCopy extends CopyControl {
        @Override
        void run() {
            control("pause", "paused");
        }
    }

    @Command(name = "resume-copy", description = "Resume a snapclone's paused background copy.")
    static final class ResumeCopy extends CopyControl {
        @Override
        void run() {
            control("resume", "resumed");
        }
    }
}
