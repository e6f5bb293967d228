package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;

/** {@code sanctl controller list}: the storage controllers, their cache and LUNs; {@code controller restart}. */
@Command(name = "controller", description = "Storage controllers: state, cache, owned LUNs; restart a failed one.",
        subcommands = {ControllerCommands.ListControllers.class, PairCommands.Restart.class})
final class ControllerCommands {
    private ControllerCommands() {
    }

    @Command(name = "list", description = "Controllers with cache dirty bytes, backup state and LUNs.")
    static final class ListControllers extends ApiCommand {
        @Override
        void run() {
            reply(null, api().get("/api/controllers"), r -> {
                Table t = new Table("NAME", "STATE", "CACHE DIRTY>", "CACHE SIZE>", "DESTAGE RATE>", "BACKUP", "LUNS");
                for (JsonObject c : objects(r.array())) {
                    t.row(str(c, "name"), str(c, "state"), Units.formatSize(num(c, "cacheDirtyBytes")),
                            Units.formatSize(num(c, "cacheCapacityBytes")),
                            c.getValue("destagedBytesPerSecond") == null ? null : Units.formatSize(num(c, "destagedBytesPerSecond")) + "/s",
                            str(c, "snapshotBackupState"), joined(c.getJsonArray("luns")));
                }
                t.print(out(), "no controllers");
            });
        }
    }
}
