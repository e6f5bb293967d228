package io.evasan.nsc.lun;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;

import java.util.List;
import java.util.function.IntFunction;

/**
 * Which presentations may stand together (issue 17 item 4). Two presentations <em>overlap</em> when one initiator
 * sees both: the same initiator name (compared case-insensitively, as iSCSI names and WWPNs are) or either one
 * presented to every initiator ({@code *}). A new presentation is refused when it overlaps an existing one
 * <ul>
 * <li>at the same host LUN with another unit: it would take the host LUN of the same initiator, or shadow (an
 *     initiator's own entry hides the {@code *} entry at that host LUN) or be shadowed; the refusal names the
 *     presentation in the way;</li>
 * <li>at another host LUN with the same unit: one initiator would see one LUN (or snapshot) twice, which
 *     multipath-unaware hosts then write as two disks; the refusal names the host LUN it already has.</li>
 * </ul>
 * Invariant: {@link #problem} only reads; it is null for a presentation that already exists exactly (presenting
 * again changes nothing) and for the same unit at the same host LUN under an overlapping name.
 */
public final class PresentationRule {
    private PresentationRule() {
    }

    /** How a message names an initiator: "every initiator (*)" for the wildcard, else the name. */
    public static String who(String initiator) {
        return "*".equals(initiator) ? "every initiator (*)" : initiator;
    }

    /** Whether one initiator sees presentations to {@code a} and to {@code b}. */
    public static boolean overlap(String a, String b) {
        return a.equalsIgnoreCase(b) || "*".equals(a) || "*".equals(b);
    }

    /**
     * Why presenting unit {@code unitId} to {@code initiator} as host LUN {@code hostLun} cannot join
     * {@code existing}, or null when it can.
     *
     * @param names the name of a unit id (LUN or snapshot), for the message
     */
    public static String problem(List<Presentation> existing, String initiator, int hostLun, int unitId, IntFunction<String> names) {
        if (existing.contains(new Presentation(initiator, hostLun, unitId))) {
            return null;   // presenting again changes nothing
        }
        for (Presentation p : existing) {
            if (!overlap(p.initiator(), initiator)) {
                continue;
            }
            if (p.hostLun() == hostLun && p.lunId() != unitId) {
                String there = names.apply(p.lunId());
                if (p.initiator().equalsIgnoreCase(initiator)) {
                    return "host LUN " + hostLun + " of " + who(initiator) + " already presents " + there
                            + "; unpresent it first or choose another host LUN";
                }
                if ("*".equals(p.initiator())) {
                    return "presenting " + names.apply(unitId) + " to " + initiator + " as host LUN " + hostLun
                            + " would shadow " + there + ", which every initiator (*) sees as host LUN " + hostLun
                            + "; choose another host LUN";
                }
                return "presenting " + names.apply(unitId) + " to every initiator (*) as host LUN " + hostLun
                        + " would be shadowed for " + p.initiator() + ", which sees " + there + " there; choose another host LUN";
            }
            if (p.hostLun() != hostLun && p.lunId() == unitId) {
                String unit = names.apply(unitId);
                String seen = p.initiator().equalsIgnoreCase(initiator)
                        ? who(initiator) + " already sees " + unit + " as host LUN " + p.hostLun()
                        : who(initiator) + " would see " + unit + " twice: it is presented to " + who(p.initiator())
                        + " as host LUN " + p.hostLun();
                return seen + "; one initiator sees a LUN at one host LUN only (unpresent that one first)";
            }
        }
        return null;
    }

    /**
     * Refuses presenting unit {@code unitId} to {@code initiator} as host LUN {@code hostLun} next to the presentations of
     * {@code table}. @throws StorageException ALREADY_EXISTS with {@link #problem}'s text when there is one
     */
    public static void check(LunTable table, String initiator, int hostLun, int unitId) {
        String p = problem(table.presentations(), initiator, hostLun, unitId, id -> label(table, id));
        if (p != null) {
            throw new StorageException(ErrorCode.ALREADY_EXISTS, p);
        }
    }

    /** "LUN db" or "snapshot s1" for unit {@code id} of {@code table} ("unit 7" for an unknown one). */
    static String label(LunTable table, int id) {
        LunRecord r = table.byId(id);
        if (r != null) {
            return "LUN " + r.name();
        }
        SnapshotRecord s = table.snapshotById(id);
        return s != null ? "snapshot " + s.name() : "unit " + id;
    }
}
