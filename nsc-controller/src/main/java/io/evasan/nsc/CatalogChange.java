package io.evasan.nsc;

/**
 * One committed change of the controller's catalogue (LUN table with the sharing trees), as
 * {@link Controller#addChangeListener} reports it.
 *
 * <p>Invariants: changes are reported in commit order, numbered from 1 in each run with no gaps; every
 * successful management operation that changed the catalogue is reported exactly once, at the moment
 * it became durable, and a failed one not at all; replaying them in {@code seq} order over the state
 * at open gives the state the controller holds (that is what makes concurrent operations a serial
 * history).
 *
 * @param seq       commit order, from 1 in this run
 * @param op        what changed
 * @param name      the LUN or snapshot name (the new LUN name for {@link Op#PROMOTE}, the quarantine id for {@link Op#REPAIR})
 * @param lun       the source LUN of a snapshot or snapclone, the snapshot name for {@link Op#PROMOTE}; else null
 * @param sizeBytes the LUN size after the change (create, resize, snapshot: the source's size); else 0
 * @param initiator the initiator of a presentation change; else null
 * @param hostLun   the host LUN of a presentation change; else -1
 */
public record CatalogChange(long seq, Op op, String name, String lun, long sizeBytes, String initiator, int hostLun) {
    /** The kinds of catalogue change. */
    public enum Op {
        CREATE_LUN, DELETE_LUN, RESIZE_LUN, SNAPSHOT, SNAPCLONE, DELETE_SNAPSHOT, PRESENT, UNPRESENT, PROMOTE, REPAIR
    }
}
