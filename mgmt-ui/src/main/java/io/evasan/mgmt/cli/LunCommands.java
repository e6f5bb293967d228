package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;

/** {@code sanctl lun ...}: LUNs, their presentations, sharing tree and rollback. */
@Command(name = "lun", description = "LUNs: list, show, create, resize, delete, present, unpresent, tree, rollback, owner, move.",
        subcommands = {LunCommands.ListLuns.class, LunCommands.Show.class, LunCommands.Create.class, LunCommands.Resize.class,
                LunCommands.Delete.class, LunCommands.Present.class, LunCommands.Unpresent.class, LunCommands.Tree.class,
                LunCommands.Rollback.class, PairCommands.Owner.class, PairCommands.Move.class})
final class LunCommands {
    /** RAID levels the API accepts for a new LUN. */
    enum Raid { RAID0, RAID1, RAID5 }

    private LunCommands() {
    }

    static String lunPath(String name) {
        return "/api/luns/" + ApiClient.seg(name);
    }

    static String presentations(JsonArray p) {
        List<String> l = new ArrayList<>();
        for (JsonObject x : ApiCommand.objects(p)) {
            l.add(ApiCommand.str(x, "initiator") + "=" + ApiCommand.num(x, "hostLun"));
        }
        return l.isEmpty() ? "-" : String.join(", ", l);
    }

    /** A command on one LUN named by the first parameter. */
    abstract static class OneLun extends ApiCommand {
        @Parameters(index = "0", paramLabel = "LUN", description = "LUN name.")
        String name;

        /** Prints a LUN answer: the header line (if not null), then the LUN's fields. */
        void printLun(String header, ApiClient.Response r) {
            reply(header, r, x -> showLun(x.object()));
        }

        void showLun(JsonObject l) {
            List<String> pres = new ArrayList<>();
            for (JsonObject p : objects(l.getJsonArray("presentations"))) {
                pres.add(("*".equals(str(p, "initiator")) ? "all initiators (*)" : str(p, "initiator")) + " as host LUN " + num(p, "hostLun"));
            }
            fields("name", str(l, "name"), "id", num(l, "id"), "kind", str(l, "kind"),
                    "size", Units.formatSize(num(l, "sizeBytes")) + " (" + num(l, "sizeBytes") + " bytes)",
                    "serial", str(l, "serial"), "disk", num(l, "disk"),
                    "group", l.getValue("group") == null ? "-" : num(l, "group"),
                    "presented to", pres.isEmpty() ? "-" : String.join("; ", pres),
                    "snapshots", joined(l.getJsonArray("snapshots")));
        }
    }

    @Command(name = "list", description = "All LUNs: size, kind, presentations, snapshot count.")
    static final class ListLuns extends ApiCommand {
        @Override
        void run() {
            reply(null, api().get("/api/luns"), r -> {
                Table t = new Table("NAME", "ID>", "KIND", "SIZE>", "DISK>", "SERIAL", "PRESENTED (INITIATOR=HOST LUN)", "SNAPSHOTS>");
                for (JsonObject l : objects(r.array())) {
                    t.row(str(l, "name"), num(l, "id"), str(l, "kind"), Units.formatSize(num(l, "sizeBytes")), num(l, "disk"),
                            str(l, "serial"), presentations(l.getJsonArray("presentations")),
                            l.getJsonArray("snapshots") == null ? 0 : l.getJsonArray("snapshots").size());
                }
                t.print(out(), "no LUNs");
            });
        }
    }

    @Command(name = "show", description = "One LUN: size, serial, presentations, snapshots.")
    static final class Show extends OneLun {
        @Override
        void run() {
            printLun(null, api().get(lunPath(name)));
        }
    }

    @Command(name = "create", description = "Create a LUN.")
    static final class Create extends OneLun {
        @Option(names = {"-s", "--size"}, required = true, paramLabel = "SIZE", converter = Converters.SizeArg.class,
                description = "Size, 1M..2T in whole MiB, e.g. 10G, 512M.")
        long size;

        @Option(names = "--raid", paramLabel = "LEVEL", description = "RAID level: ${COMPLETION-CANDIDATES} (default: the pool's).")
        Raid raid;

        @Option(names = "--group", paramLabel = "GROUP",
                description = "Disk group for the LUN and its snapshots: id or name as `pool show` lists them (default: the first).")
        String group;

        @Override
        void run() {
            JsonObject b = new JsonObject().put("name", name).put("sizeBytes", size);
            if (raid != null) {
                b.put("raid", raid.name());
            }
            if (group != null) {
                b.put("group", group.matches("[0-9]{1,9}") ? (Object) Integer.valueOf(group) : group);
            }
            printLun("created LUN " + name, api().post("/api/luns", b));
        }
    }

    @Command(name = "resize", description = "Grow or shrink a LUN.")
    static final class Resize extends OneLun {
        @Option(names = {"-s", "--size"}, required = true, paramLabel = "SIZE", converter = Converters.SizeArg.class,
                description = "New size, 1M..2T in whole MiB, e.g. 20G.")
        long size;

        @Option(names = "--force", description = "Shrink it even though hosts see it or it has snapshots (the data beyond the new end is lost).")
        boolean force;

        @Override
        void run() {
            printLun("resized LUN " + name, api().patch(lunPath(name) + forced(force), new JsonObject().put("sizeBytes", size)));
        }
    }

    @Command(name = "delete", description = "Delete a LUN and its snapshots (--force when hosts see it or it has snapshots).")
    static final class Delete extends OneLun {
        @Option(names = "--force", description = "Delete it even though hosts see it or it has snapshots (they go with it).")
        boolean force;

        @Override
        void run() {
            reply(api().delete(lunPath(name) + forced(force)), "deleted LUN " + name);
        }
    }

    /** present / unpresent: the initiator and host LUN. */
    abstract static class Presentation extends OneLun {
        @Option(names = {"-i", "--initiator"}, required = true, paramLabel = "IQN",
                description = "Initiator name (iqn....), or * for every initiator.")
        String initiator;

        @Option(names = {"-l", "--host-lun"}, required = true, paramLabel = "N", description = "LUN number the host sees, 0..16383.")
        int hostLun;

        JsonObject body() {
            return new JsonObject().put("initiator", initiator).put("hostLun", hostLun);
        }
    }

    @Command(name = "present", description = "Present a LUN to an initiator (or to all, with -i '*') as a host LUN number.")
    static final class Present extends Presentation {
        @Override
        void run() {
            printLun("presented LUN " + name, api().post(lunPath(name) + "/present", body()));
        }
    }

    @Command(name = "unpresent", description = "Hide a LUN from an initiator again.")
    static final class Unpresent extends Presentation {
        @Override
        void run() {
            printLun("unpresented LUN " + name, api().post(lunPath(name) + "/unpresent", body()));
        }
    }

    @Command(name = "rollback", description = "Roll a LUN back to one of its snapshots (the LUN then reads the snapshot's data).")
    static final class Rollback extends OneLun {
        @Option(names = "--snapshot", required = true, paramLabel = "SNAPSHOT", description = "Snapshot of this LUN.")
        String snapshot;

        @Override
        void run() {
            printLun("rolled LUN " + name + " back to snapshot " + snapshot, api().post(lunPath(name) + "/rollback",
                    new JsonObject().put("snapshot", snapshot)));
        }
    }

    @Command(name = "tree", description = "The LUN's sharing tree: its snapshots and snapclones, oldest first, the LUN last, "
            + "with shared/private segment counts and background-copy progress.")
    static final class Tree extends OneLun {
        @Override
        void run() {
            reply(null, api().get(lunPath(name) + "/tree"), r -> {
                JsonObject t = r.object();
                List<JsonObject> disks = objects(t.getJsonArray("disks"));
                long segBytes = num(t, "segmentBytes");
                out().println("sharing tree of LUN " + str(t, "lun") + ": " + disks.size() + (disks.size() == 1 ? " disk" : " disks")
                        + ", segments of " + Units.formatSize(segBytes) + "; oldest first, each disk's successor below it");
                for (int i = 0; i < disks.size(); i++) {
                    out().println(treeLine(disks.get(i), i));
                }
            });
        }

        static String treeLine(JsonObject d, int depth) {
            StringBuilder b = new StringBuilder();
            if (depth > 0) {
                b.append("    ".repeat(depth - 1)).append("`-> ");
            }
            String name = str(d, "name");
            b.append(name == null ? "(unnamed disk)" : name).append(" [").append(str(d, "kind")).append(", disk ").append(num(d, "disk"));
            if (d.getValue("policy") != null) {
                b.append(", ").append(str(d, "policy"));
            }
            b.append("]");
            b.append(" segments ").append(num(d, "segments"))
                    .append(", private ").append(num(d, "privateSegments"))
                    .append(", shared with successor ").append(num(d, "sharedWithSuccessor"))
                    .append(", shared with predecessor ").append(num(d, "sharedWithPredecessor"))
                    .append(", zero ").append(num(d, "zeroSegments"));
            JsonObject bg = d.getJsonObject("bgcopy");
            if (bg != null) {
                b.append("; BGCOPY ").append(Units.progress(num(bg, "done"), num(bg, "total"), str(bg, "unit")))
                        .append(' ').append(str(bg, "state"));
            }
            if (!d.getBoolean("valid", true)) {
                b.append("; INVALID");
            }
            return b.toString();
        }
    }
}
