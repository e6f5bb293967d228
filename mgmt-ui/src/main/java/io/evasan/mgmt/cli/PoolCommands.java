package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;

import java.util.List;

/** {@code sanctl pool show}: GET /api/pool as a disk-group table and a drive table. */
@Command(name = "pool", description = "The storage pool: disk groups and drives.",
        subcommands = {PoolCommands.Show.class})
final class PoolCommands {
    @Command(name = "show", description = "Disk groups (capacity, free space, rebuild state) and their drives.")
    static final class Show extends ApiCommand {
        @Override
        void run() {
            reply(null, api().get("/api/pool"), r -> {
                JsonObject pool = r.object();
                out().println("pool " + str(pool, "id"));
                Table groups = new Table("GROUP>", "NAME", "DRIVES>", "CAPACITY>", "USED>", "FREE>", "USED%>", "REBUILD", "RESYNC");
                List<JsonObject> gs = objects(pool.getJsonArray("groups"));
                for (JsonObject g : gs) {
                    long pseg = num(g, "psegBytes");
                    long total = num(g, "totalPsegs");
                    long used = num(g, "usedPsegs");
                    groups.row(num(g, "id"), str(g, "name"), g.getJsonArray("drives").size(), Units.formatSize(total * pseg),
                            Units.formatSize(used * pseg), Units.formatSize(num(g, "freePsegs") * pseg),
                            total == 0 ? "-" : (used * 100 / total) + "%",
                            g.getBoolean("rebuildInProgress", false) ? "running" : "no",
                            g.getBoolean("resyncInProgress", false) ? "running" : "no");
                }
                groups.print(out(), "no disk groups");
                out().println();
                DriveCommands.driveTable(gs, null).print(out(), "no drives");
            });
        }
    }

    private PoolCommands() {
    }
}
