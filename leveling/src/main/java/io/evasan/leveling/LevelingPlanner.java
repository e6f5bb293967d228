package io.evasan.leveling;

import io.evasan.leveling.api.PlannedMove;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rstore.RaidLevel;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Plans the PSEG moves that bring a disk group to its capacity-proportional share ({@link ProportionalShare}).
 * Greedy per RSS and RAID level: take a member from the drive furthest above its share to the drive furthest
 * below, as long as their deviations differ by more than one PSEG; RAID1 moves whole mirrored pairs between
 * RSS slot pairs (2k, 2k+1) and compares pair sums (more than two PSEGs apart). Each such move lowers the sum
 * of squared deviations, so planning ends, and it ends only when no pair of drives differs by more than one,
 * which with deviations summing to zero means every drive is within one PSEG of its share (unless no RStore
 * can make a needed move: every candidate already has a member on the target drive, or the target is full).
 *
 * <p>Invariants of every planned move: source and target in the RStore's RSS; the target drive available,
 * with a free PSEG, holding no other member of the RStore; RAID1 pairs stay on paired slots; only healthy
 * RStores (no stale member, every member's drive available) move; an RStore moves at most once per plan,
 * so every planned source is a real PSEG address (replan after executing to go further).
 */
public final class LevelingPlanner {
    /** Upper bound of moves in one plan (a safety net; planning ends long before for real groups). */
    static final int MAX_MOVES = 100_000;

    /** Plans moves on {@code layout}, which it updates as if they were done. */
    public List<PlannedMove> plan(GroupLayout layout) {
        List<PlannedMove> out = new ArrayList<>();
        Set<Long> moved = new HashSet<>();
        while (out.size() < MAX_MOVES) {
            PlannedMove next = null;
            for (int rss = 0; rss < layout.rssCount() && next == null; rss++) {
                for (RaidLevel level : RaidLevel.values()) {
                    next = level == RaidLevel.RAID1 ? pairMove(layout, rss, moved) : singleMove(layout, rss, level, moved);
                    if (next != null) {
                        break;
                    }
                }
            }
            if (next == null) {
                return out;
            }
            layout.apply(next);
            moved.add(next.rsdId());
            out.add(next);
        }
        return out;
    }

    private static List<Integer> byDeviation(List<Integer> drives, double[] dev, boolean descending) {
        List<Integer> l = new ArrayList<>(drives);
        Comparator<Integer> c = Comparator.comparingDouble(d -> dev[d]);
        l.sort(descending ? c.reversed().thenComparingInt(d -> d) : c.thenComparingInt(d -> d));
        return l;
    }

    private static PlannedMove singleMove(GroupLayout l, int rss, RaidLevel level, Set<Long> moved) {
        List<Integer> u = l.universe(rss, level);
        double[] dev = ProportionalShare.deviations(l, rss, level);
        int rssId = l.rssId(rss);
        for (int s : byDeviation(u, dev, true)) {
            for (int t : byDeviation(u, dev, false)) {
                if (dev[s] - dev[t] <= 1 + ProportionalShare.EPS) {
                    break;
                }
                if (l.free[t] <= 0) {
                    continue;
                }
                for (Rsd r : l.rsds.values()) {
                    if (r.level() != level || r.rssId() != rssId || moved.contains(r.rsdId()) || !l.healthy(r)) {
                        continue;
                    }
                    int m = r.memberOnDrive(s);
                    if (m >= 0 && r.memberOnDrive(t) < 0) {
                        return new PlannedMove(r.rsdId(), level, 1 << m, List.of(r.address(m)), List.of(t));
                    }
                }
            }
        }
        return null;
    }

    private static PlannedMove pairMove(GroupLayout l, int rss, Set<Long> moved) {
        int[] slots = l.rssSlots.get(rss);
        List<Integer> u = l.universe(rss, RaidLevel.RAID1);
        double[] dev = ProportionalShare.deviations(l, rss, RaidLevel.RAID1);
        List<int[]> pairs = new ArrayList<>();
        for (int k = 0; k < slots.length / 2; k++) {
            if (u.contains(slots[2 * k]) && u.contains(slots[2 * k + 1])) {
                pairs.add(new int[] {slots[2 * k], slots[2 * k + 1]});
            }
        }
        Comparator<int[]> bySum = Comparator.comparingDouble(p -> dev[p[0]] + dev[p[1]]);
        List<int[]> sources = new ArrayList<>(pairs);
        sources.sort(bySum.reversed());
        List<int[]> targets = new ArrayList<>(pairs);
        targets.sort(bySum);
        int rssId = l.rssId(rss);
        for (int[] s : sources) {
            for (int[] t : targets) {
                if (dev[s[0]] + dev[s[1]] - dev[t[0]] - dev[t[1]] <= 2 + ProportionalShare.EPS) {
                    break;
                }
                if (l.free[t[0]] <= 0 || l.free[t[1]] <= 0) {
                    continue;
                }
                for (Rsd r : l.rsds.values()) {
                    if (r.level() != RaidLevel.RAID1 || r.rssId() != rssId || moved.contains(r.rsdId())
                            || !l.healthy(r) || r.memberOnDrive(t[0]) >= 0 || r.memberOnDrive(t[1]) >= 0) {
                        continue;
                    }
                    int a = r.memberOnDrive(s[0]);
                    int b = r.memberOnDrive(s[1]);
                    if (a < 0 || b < 0 || (a ^ 1) != b) {
                        continue; // not a mirrored pair on this slot pair
                    }
                    int lo = Math.min(a, b);
                    // the member on the even slot's drive goes to the target's even slot, keeping the pairing
                    int loTarget = lo == a ? t[0] : t[1];
                    int hiTarget = lo == a ? t[1] : t[0];
                    return new PlannedMove(r.rsdId(), RaidLevel.RAID1, 0b11 << lo,
                            List.of(r.address(lo), r.address(lo + 1)), List.of(loTarget, hiTarget));
                }
            }
        }
        return null;
    }
}
