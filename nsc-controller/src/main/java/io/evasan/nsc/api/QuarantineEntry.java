package io.evasan.nsc.api;

import java.util.Objects;

/**
 * An object the controller found inconsistent when it opened and set aside instead of refusing to
 * start: a LUN whose logical disk is missing from the sharing trees, a snapshot whose disk or source
 * LUN is missing (or whose disk is not in its source LUN's tree), or a logical disk that no LUN or
 * snapshot record names.
 *
 * <p>Invariants: a quarantined LUN or snapshot keeps its LUN-table record (its name and unit id stay
 * taken, so nothing that still refers to them can reach another object) but serves no I/O, is not
 * presented, and refuses every management operation except its repair; a quarantined disk is left
 * untouched until repaired. {@code id} is stable for one run: {@code lun-<unit id>},
 * {@code snapshot-<unit id>} or {@code disk-<disk id>}. Repair ({@link Controller#repairQuarantined})
 * deletes the object (records and whatever disks exist), which is the only way out of quarantine.
 *
 * @param id     stable key ({@code lun-3}, {@code snapshot-4097}, {@code disk-17})
 * @param kind   what is quarantined
 * @param name   the LUN or snapshot name, or {@code disk <id>} for an orphan disk
 * @param unitId the LUN or snapshot unit id, -1 for a disk
 * @param disk   the sharing-tree disk the record names (or the orphan disk)
 * @param reason why it is inconsistent, in words
 */
public record QuarantineEntry(String id, Kind kind, String name, int unitId, long disk, String reason) {
    /** What a quarantine entry stands for. */
    public enum Kind { LUN, SNAPSHOT, DISK }

    public QuarantineEntry {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(reason, "reason");
    }

    /** How to repair it, in words (for the API and the log). */
    public String repair() {
        if (kind == Kind.LUN) {   // an if, not a switch: a switch on an enum compiles to a helper class, and the API holds types only
            return "DELETE /api/luns/" + name + " (or POST /api/quarantine/" + id + "/repair): removes the LUN record,"
                    + " its snapshots and whatever disks of them remain";
        }
        if (kind == Kind.SNAPSHOT) {
            return "DELETE /api/snapshots/" + name + " (or POST /api/quarantine/" + id + "/repair): removes the"
                    + " snapshot record and its disk if it remains";
        }
        return "POST /api/quarantine/" + id + "/repair: deletes the unreferenced logical disk";
    }
}
