package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code sanctl quarantine list|repair}: the objects the appliance found inconsistent at start and set
 * aside (it started without them), and their repair (deleting the object; see mgmt-ui/README.md,
 * <i>Quarantine</i>).
 */
@Command(name = "quarantine", description = "Objects found inconsistent at start (the appliance started without them).",
        subcommands = {QuarantineCommands.ListQuarantine.class, QuarantineCommands.Repair.class})
final class QuarantineCommands {
    private QuarantineCommands() {
    }

    @Command(name = "list", description = "Quarantined LUNs, snapshots and disks with the reason and the repair.")
    static final class ListQuarantine extends ApiCommand {
        @Override
        void run() {
            reply(null, api().get("/api/quarantine"), r -> {
                Table t = new Table("ID", "KIND", "NAME", "DISK>", "REASON");
                for (JsonObject q : objects(r.array())) {
                    t.row(str(q, "id"), str(q, "kind"), str(q, "name"), String.valueOf(num(q, "disk")), str(q, "reason"));
                }
                t.print(out(), "nothing is quarantined");
            });
        }
    }

    @Command(name = "repair", description = "Repair a quarantined object by deleting it (its records and remaining disks).")
    static final class Repair extends ApiCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "Quarantine id as listed: lun-<id>, snapshot-<id> or disk-<id>.")
        String id;

        @Override
        void run() {
            reply(api().post("/api/quarantine/" + id + "/repair", new JsonObject()), "repaired " + id + " (deleted)");
        }
    }
}
