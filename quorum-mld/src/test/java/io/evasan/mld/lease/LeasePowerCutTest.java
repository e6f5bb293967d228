package io.evasan.mld.lease;

import io.evasan.mld.Mld;
import io.evasan.mld.MldBatch;
import io.evasan.mld.MldOptions;
import io.evasan.mld.Mlds;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.GroupSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.Pools;
import io.evasan.raid.drive.QuorumArea;
import io.evasan.raid.powercut.PowerCut;
import io.evasan.raid.powercut.PowerCutError;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Power cuts under the lease region, on the quorum areas of a pool of {@code PowerCutDrive}s
 * (unforced writes dropped, applied, torn at a sector boundary or reordered; seeded, printed).
 * Lease blocks of both controllers (renewals, claims, releases) are written interleaved with
 * multi-sector MLD commits on the same areas. Claims after the cut: each controller's lease reads
 * as its last acknowledged block or the one being written at the cut (none if none was
 * acknowledged), never anything else; the MLD opens; the lease can be taken over again.
 */
class LeasePowerCutTest {
    @TempDir
    Path tmp;

    /** Six 64 MiB file drives in one group (an RSS needs six). */
    private static PoolSpec spec() {
        return new PoolSpec(List.of(new GroupSpec("dg0", IntStream.range(0, 6)
                .mapToObj(i -> DriveSpec.file("drives/d" + i + ".img", 64L << 20)).toList())));
    }

    private void run(PowerCut pc, Path dir, int cutAt) {
        Random r = pc.random();
        LeaseRecord[] acked = new LeaseRecord[2];
        LeaseRecord[] inFlight = new LeaseRecord[2];
        long[] counter = {-1, -1};
        long generation = 0;
        int owner = LeaseRecord.NONE;
        Pool pool = Pools.create(dir, spec(), new SimpleMeterRegistry(), pc.poolIo());
        try {
            pool.diskGroup(0).flush();
            List<QuorumArea> areas = pool.quorumAreas().subList(0, 3);
            Mld mld = Mlds.open(pool.quorumAreas(), MldOptions.defaults());
            LeaseStore store = LeaseStore.open(areas);
            pc.cutAfter(cutAt);
            for (int i = 0; i < 40; i++) {
                if (r.nextInt(3) == 0) {
                    byte[] v = new byte[r.nextInt(3000)];
                    r.nextBytes(v);
                    mld.commit(new MldBatch().put("lun", "k" + r.nextInt(5), v));
                    continue;
                }
                int c;
                LeaseRecord next;
                int roll = r.nextInt(10);
                if (owner != LeaseRecord.NONE && roll < 7) { // renewal
                    c = owner;
                    next = new LeaseRecord(c, c, generation, ++counter[c], 3000);
                } else if (owner != LeaseRecord.NONE && roll < 8) { // release
                    c = owner;
                    owner = LeaseRecord.NONE;
                    next = new LeaseRecord(c, LeaseRecord.NONE, ++generation, ++counter[c], 3000);
                } else { // claim (takeover or of a free lease)
                    c = r.nextInt(2);
                    owner = c;
                    next = new LeaseRecord(c, c, ++generation, ++counter[c], 3000);
                }
                inFlight[c] = next;
                store.write(next);
                acked[c] = next;
                inFlight[c] = null;
            }
        } catch (PowerCutError e) {
            System.out.println("[powercut]   " + e.getMessage());
        }
        pc.cut();
        String what = "seed " + pc.seed() + " (cut at I/O " + cutAt + "; acknowledged " + java.util.Arrays.toString(acked)
                + ", in flight " + java.util.Arrays.toString(inFlight) + ")";
        try (Pool p2 = Pools.open(dir, new SimpleMeterRegistry())) {
            List<QuorumArea> areas = p2.quorumAreas().subList(0, 3);
            LeaseStore.View v = LeaseStore.open(areas).read();
            for (int c = 0; c < 2; c++) {
                LeaseRecord got = v.of(c);
                boolean ok = (got == null && acked[c] == null) || (got != null && (got.equals(acked[c]) || got.equals(inFlight[c])));
                if (!ok) {
                    fail(what + ": controller " + LeaseRecord.name(c) + " reads " + got);
                }
            }
            try {
                Mlds.open(p2.quorumAreas(), MldOptions.defaults()).close();
            } catch (RuntimeException e) {
                throw new AssertionError(what + ": the MLD refuses to open after a power cut: " + e.getMessage(), e);
            }
            // power back on: B takes the lease over after the silence, above every generation seen
            long[] t = {0};
            DiskLease b = new DiskLease(LeaseStore.open(areas), 1, new LeaseOptions(3000, 300), () -> t[0]);
            boolean got = false;
            for (int poll = 0; poll < 40 && !got; poll++) {
                got = b.tryAcquire();
                t[0] += 300_000_000L;
            }
            assertTrue(got, what);
            assertEquals(v.maxGeneration() + 1, b.heldGeneration(), what);
        }
    }

    @Test
    void shouldReadTheLastOrTheInterruptedLeaseBlockAfterAPowerCut() {
        long base = PowerCut.baseSeed("LeasePowerCutTest.random");
        int n = PowerCut.iterations(8);
        for (int it = 0; it < n; it++) {
            PowerCut pc = new PowerCut(base + it);
            run(pc, tmp.resolve("r" + it), 1 + pc.random().nextInt(120));
        }
    }

    /** Every one of the first I/Os (lease writes and forces, MLD blocks, forces, seals), keeping the head or the tail of torn writes. */
    @Test
    void shouldReadTheLastOrTheInterruptedLeaseBlockAfterACutAtEveryIo() {
        long base = PowerCut.baseSeed("LeasePowerCutTest.everyIo");
        for (int k = 1; k <= 40; k++) {
            PowerCut.Outcome o = k % 2 == 0 ? PowerCut.Outcome.TEAR_KEEP_HEAD : PowerCut.Outcome.TEAR_KEEP_TAIL;
            run(new PowerCut(base).outcome(o), tmp.resolve("e" + k), k);
        }
    }
}
