package io.evasan.nsc.service;

import io.evasan.nsc.lun.LunInUseException;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.LunTable;
import io.evasan.nsc.lun.Presentation;
import io.evasan.nsc.lun.PresentationRule;
import io.evasan.nsc.lun.SnapshotRecord;

import java.util.ArrayList;
import java.util.List;

/**
 * The guard on destructive LUN changes (issue 17 item 4): deleting or shrinking a LUN that hosts see (it, or one
 * of its snapshots, is presented) or that has snapshots is refused unless the caller forces it.
 *
 * <p>Invariant: {@link #check} only reads the table; it throws {@link LunInUseException} naming the LUN, every
 * blocking presentation (initiator and host LUN, with the unit's name) and every snapshot, or returns when the
 * change takes nothing from a host or a snapshot, or when {@code force} is set.
 */
final class LunGuard {
    private LunGuard() {
    }

    /**
     * @param action      what is refused, as a sentence start: "deleting LUN db", "shrinking LUN db from 10 GiB to 1 GiB"
     * @param consequence what forcing it does: "its hosts lose it and its snapshots are deleted"
     * @throws LunInUseException when not {@code force} and the LUN is presented or has snapshots
     */
    static void check(LunTable table, LunRecord r, String action, String consequence, boolean force) {
        if (force) {
            return;
        }
        List<SnapshotRecord> snaps = new ArrayList<>();
        for (SnapshotRecord s : table.snapshots()) {
            if (s.lunId() == r.id()) {
                snaps.add(s);
            }
        }
        List<Presentation> pres = new ArrayList<>();
        List<String> own = new ArrayList<>();
        List<String> ofSnaps = new ArrayList<>();
        for (Presentation p : table.presentations()) {
            if (p.lunId() == r.id()) {
                pres.add(p);
                own.add(PresentationRule.who(p.initiator()) + " as host LUN " + p.hostLun());
            }
        }
        for (SnapshotRecord s : snaps) {
            for (Presentation p : table.presentations()) {
                if (p.lunId() == s.id()) {
                    pres.add(p);
                    ofSnaps.add("snapshot " + s.name() + " to " + PresentationRule.who(p.initiator()) + " as host LUN " + p.hostLun());
                }
            }
        }
        if (pres.isEmpty() && snaps.isEmpty()) {
            return;
        }
        List<String> names = snaps.stream().map(SnapshotRecord::name).toList();
        List<String> why = new ArrayList<>();
        if (!own.isEmpty()) {
            why.add("it is presented to " + String.join(", ", own));
        }
        if (!snaps.isEmpty()) {
            why.add("it has " + (snaps.size() == 1 ? "snapshot " : "snapshots ") + String.join(", ", names));
        }
        if (!ofSnaps.isEmpty()) {
            why.add("its " + String.join(", ", ofSnaps) + (ofSnaps.size() == 1 ? " is" : " are") + " presented");
        }
        String m = action + " is refused: " + String.join("; ", why) + ". Forcing it means " + consequence
                + " (or unpresent it" + (snaps.isEmpty() ? "" : " and delete its snapshots") + " first)";
        throw new LunInUseException(m, r.name(), pres, names);
    }

    /**
     * The guard of a backup copy onto LUN {@code dest}: the copy overwrites all of it, so unless {@code force} it is
     * refused while hosts see the LUN, it has snapshots, or it holds data (a segment of its disk is mapped) other than
     * {@code previousCopy}: an earlier backup copy of the same LUN, untouched since, which a newer copy replaces.
     *
     * @throws LunInUseException (presented or with snapshots) or StorageException INVALID_STATE (holds data)
     */
    static void checkOverwrite(LunTable table, io.evasan.sharing.SharingTrees trees, LunRecord dest, boolean previousCopy,
                               boolean force) {
        String action = "copying the backup onto LUN " + dest.name();
        String consequence = "every byte of LUN " + dest.name() + " (" + size(dest.sizeBytes()) + ") is overwritten";
        check(table, dest, action, consequence, force);
        if (force || previousCopy || dest.disk() < 0) {
            return;
        }
        int segs = trees.segments(dest.disk());
        for (int i = 0; i < segs; i++) {
            if (trees.mapped(dest.disk(), i)) {
                throw new io.evasan.error.StorageException(io.evasan.error.ErrorCode.INVALID_STATE, action
                        + " is refused: it holds data (written at " + size((long) i * trees.segmentBytes())
                        + " and maybe beyond). Forcing it means " + consequence);
            }
        }
    }

    /** {@code bytes} in the largest binary unit that holds it exactly ("10 GiB", "1536 KiB"), else in bytes. */
    static String size(long bytes) {
        String[] units = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
        int u = 0;
        long v = bytes;
        while (u + 1 < units.length && v != 0 && v % 1024 == 0) {
            v /= 1024;
            u++;
        }
        return v + " " + units[u];
    }
}
