package io.evasan.leveling;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.leveling.api.PlannedMove;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.drive.DriveInfo;
import io.evasan.raid.drive.DriveState;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rstore.RaidLevel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of where a disk group's RStore members sit, for planning: per drive its capacity in PSEGs, free
 * PSEGs, RSS and slot; per RSS its slots; every live RSD. The planner changes it as it plans moves
 * ({@link #apply}). Invariant: {@code free[d]} equals the drive's free PSEGs minus the targets of moves applied
 * since the snapshot plus their sources; a drive that is not AVAILABLE has {@code available[d] == false}.
 * Not thread-safe; one planner uses one snapshot.
 */
public final class GroupLayout {
    final int[] capacity;
    final int[] free;
    final int[] rssOf;
    final int[] slotOf;
    final boolean[] available;
    final List<int[]> rssSlots;
    final Map<Long, Rsd> rsds;

    GroupLayout(int[] capacity, int[] free, int[] rssOf, int[] slotOf, boolean[] available, List<int[]> rssSlots,
                Map<Long, Rsd> rsds) {
        this.capacity = capacity;
        this.free = free;
        this.rssOf = rssOf;
        this.slotOf = slotOf;
        this.available = available;
        this.rssSlots = rssSlots;
        this.rsds = rsds;
    }

    /** Snapshot of {@code g} now (RStores freed meanwhile are skipped). */
    public static GroupLayout of(DiskGroup g) {
        List<DriveInfo> ds = g.drives();
        int n = 0;
        for (DriveInfo d : ds) {
            n = Math.max(n, d.index() + 1);
        }
        int[] cap = new int[n];
        int[] free = new int[n];
        int[] rss = new int[n];
        int[] slot = new int[n];
        boolean[] av = new boolean[n];
        Arrays.fill(rss, -1);
        Arrays.fill(slot, -1);
        for (DriveInfo d : ds) {
            cap[d.index()] = d.psegCount();
            free[d.index()] = d.psegCount() - d.usedPsegs();
            rss[d.index()] = d.rssId();
            slot[d.index()] = d.rssSlot();
            av[d.index()] = d.state() == DriveState.AVAILABLE;
        }
        Map<Long, Rsd> rsds = new LinkedHashMap<>();
        for (long id : g.rsdIds()) {
            try {
                rsds.put(id, g.rsd(id));
            } catch (StorageException e) {
                if (e.code() != ErrorCode.NOT_FOUND) {
                    throw e;
                }
            }
        }
        return new GroupLayout(cap, free, rss, slot, av, new ArrayList<>(g.rssSlots()), rsds);
    }

    /** Drive indexes 0 .. drives() - 1 (removed ones have capacity 0 and are not available). */
    public int drives() {
        return capacity.length;
    }

    /** The RSS ids, in the order the group lists them (RSS id = position). */
    public int rssCount() {
        return rssSlots.size();
    }

    /**
     * Drives of RSS {@code rss} that may hold members of {@code level}: available drives in its slots; for
     * RAID1 only those whose slot partner (2k / 2k+1) is also there and available.
     */
    public List<Integer> universe(int rss, RaidLevel level) {
        int[] slots = rssSlots.get(rss);
        List<Integer> out = new ArrayList<>();
        for (int s = 0; s < slots.length; s++) {
            int d = slots[s];
            if (d < 0 || d >= drives() || !available[d]) {
                continue;
            }
            if (level == RaidLevel.RAID1) {
                int p = slots[s ^ 1];
                if (p < 0 || p >= drives() || !available[p]) {
                    continue;
                }
            }
            out.add(d);
        }
        return out;
    }

    /** Members of {@code level} RStores of RSS {@code rss} on each drive (index = drive). */
    public int[] used(int rss, RaidLevel level) {
        int[] u = new int[drives()];
        int rssId = rssId(rss);
        for (Rsd r : rsds.values()) {
            if (r.level() != level || r.rssId() != rssId) {
                continue;
            }
            for (int m = 0; m < r.members(); m++) {
                if (r.drive(m) < u.length) {
                    u[r.drive(m)]++;
                }
            }
        }
        return u;
    }

    /** The id of the RSS at position {@code rss} (its drives' labels name it). */
    int rssId(int rss) {
        for (int d : rssSlots.get(rss)) {
            if (d >= 0 && d < drives()) {
                return rssOf[d];
            }
        }
        return rss;
    }

    /** True if every member of {@code r} is on an available drive and none is stale (rebuild's work otherwise). */
    boolean healthy(Rsd r) {
        if (r.staleMask() != 0) {
            return false;
        }
        for (int m = 0; m < r.members(); m++) {
            if (r.drive(m) >= drives() || !available[r.drive(m)]) {
                return false;
            }
        }
        return true;
    }

    /** Records a planned move: the RSD's moving members now sit on the targets (PSEG numbers unknown: -1). */
    void apply(PlannedMove mv) {
        Rsd r = rsds.get(mv.rsdId());
        int[] d = r.drives();
        int[] p = r.psegs();
        int k = 0;
        for (int m = 0; m < d.length; m++) {
            if ((mv.mask() & (1 << m)) != 0) {
                free[d[m]]++;
                d[m] = mv.targets().get(k++);
                p[m] = 0;
                free[d[m]]--;
            }
        }
        rsds.put(r.rsdId(), r.withMembers(d, p, 0));
    }
}
