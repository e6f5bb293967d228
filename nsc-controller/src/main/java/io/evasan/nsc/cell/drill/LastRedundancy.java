package io.evasan.nsc.cell.drill;

import io.evasan.raid.DiskGroup;
import io.evasan.raid.drive.DriveInfo;
import io.evasan.raid.drive.DriveState;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rstore.RaidLevel;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which RStores of a disk group hold their last redundancy on a drive: those with a member on it that could not be
 * rebuilt from the others if it went away — RAID0 (no redundancy at all), a RAID1 pair whose other half is missing or
 * stale, a RAID5 stripe already missing (or holding stale) another member. A member is usable when its drive is
 * AVAILABLE and its stale bit is clear. Pure: it reads the group's RSDs and drive states, changes nothing.
 */
public final class LastRedundancy {
    private LastRedundancy() {
    }

    /** The RSD ids of {@code group}'s RStores that would lose data if drive {@code index} went away, ascending. */
    public static List<Long> onDrive(DiskGroup group, int index) {
        Set<Integer> away = new HashSet<>();
        for (DriveInfo d : group.drives()) {
            if (d.state() != DriveState.AVAILABLE) {
                away.add(d.index());
            }
        }
        List<Long> out = new ArrayList<>();
        for (long id : group.rsdIds()) {
            Rsd r = group.rsd(id);
            int m = r.memberOnDrive(index);
            if (m >= 0 && !survives(r, m, away)) {
                out.add(id);
            }
        }
        return out;
    }

    /** How many of {@code group}'s RStores have a member that is not usable now (they run degraded). */
    public static int degraded(DiskGroup group) {
        Set<Integer> away = new HashSet<>();
        for (DriveInfo d : group.drives()) {
            if (d.state() != DriveState.AVAILABLE) {
                away.add(d.index());
            }
        }
        int n = 0;
        for (long id : group.rsdIds()) {
            Rsd r = group.rsd(id);
            for (int m = 0; m < r.members(); m++) {
                if (!usable(r, m, away)) {
                    n++;
                    break;
                }
            }
        }
        return n;
    }

    private static boolean usable(Rsd r, int member, Set<Integer> away) {
        return !r.isStale(member) && !away.contains(r.drive(member));
    }

    /** Whether {@code r} keeps every byte readable without member {@code lost}. */
    private static boolean survives(Rsd r, int lost, Set<Integer> away) {
        if (r.level() == RaidLevel.RAID0) {
            return false;
        }
        if (r.level() == RaidLevel.RAID1) {
            return usable(r, lost ^ 1, away);
        }
        for (int m = 0; m < r.members(); m++) {
            if (m != lost && !usable(r, m, away)) {
                return false;
            }
        }
        return true;
    }
}
