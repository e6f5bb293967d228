package io.evasan.nsc;

import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.sharing.AllocationPolicy;
import io.evasan.sharing.SharingConfig;
import io.evasan.sharing.SharingStats;
import io.evasan.sharing.impl.SharingTreesImpl;
import io.evasan.sharing.spi.impl.MemorySegmentMaps;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static io.evasan.nsc.Nsc.read10;
import static io.evasan.nsc.Nsc.write10;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11 finding 3: a write is acknowledged only when the space it needs is allocated, so a full
 * pool answers it 07/27/07 SPACE ALLOCATION FAILED and everything acknowledged has a home; an
 * ON_DEMAND snapshot whose CFW finds no space is invalidated, the host's write goes on.
 */
class SpaceBeforeAckTest {
    static final int SEG_BLOCKS = Nsc.SEG / 512;

    private static Nsc small(String name, int segments) {
        return new Nsc(name, new SharingTreesImpl(new MemorySegmentMaps(Nsc.SEG, segments),
                SharingConfig.defaults().withBackground(false), SharingStats.standalone()), c -> { });
    }

    @Test
    void shouldAnswerSpaceAllocationFailedBeforeAckWhenThePoolIsFull() {
        try (Nsc n = small("space-full", 8)) {
            LunRecord r = n.ctl.createLun("a", 32L * Nsc.SEG);   // thin: 32 segments over 8 of space
            n.ctl.presentLun(Nsc.HOST, 0, "a");
            ItNexus x = n.nexus(Nsc.HOST);
            n.ctl.cache().pauseDestage();   // nothing is destaged: the space is taken on the write path
            byte[] blk = Nsc.pattern(8 * 512, 1);
            int acked = 0;
            Nsc.Result last = null;
            for (int s = 0; s < 32; s++) {
                last = n.runNoUa(x, 0, write10((long) s * SEG_BLOCKS + 8, 8, false), blk, blk.length);
                if (!last.good()) {
                    break;
                }
                acked++;
                assertTrue(n.trees.mapped(r.disk(), s), "segment " + s + " allocated before the ack");
            }
            assertEquals(8, acked, "every segment that had space was acknowledged");
            assertEquals(ScsiStatus.CHECK_CONDITION, last.status, last.toString());
            assertEquals(SenseCodes.SPACE_ALLOCATION_FAILED_WRITE_PROTECT, last.sense, last.toString());
            long dirty = n.ctl.cache().dirtyBytes();
            assertEquals(8L * blk.length, dirty, "the refused write cached nothing");
            // writes into allocated segments still work; a read of the refused range reads zeros
            assertTrue(n.runNoUa(x, 0, write10(16, 8, false), blk, blk.length).good());
            assertArrayEquals(new byte[blk.length], n.runNoUa(x, 0, read10(8L * SEG_BLOCKS + 8, 8), null, blk.length).data);
            // everything acknowledged lands
            n.ctl.cache().resumeDestage();
            assertTrue(n.runNoUa(x, 0, Nsc.syncCache10(), null, 0).good());
            assertEquals(0, n.ctl.cache().dirtyBytes());
            assertEquals(0.0, n.ctl.cache().stats().destageErrors(), "no destage failed");
            for (int s = 0; s < 8; s++) {
                assertArrayEquals(blk, n.readDisk(r.disk(), (long) s * Nsc.SEG + 8 * 512, blk.length));
            }
        }
    }

    @Test
    void shouldInvalidateAnOnDemandSnapshotWhoseCopyFindsNoSpaceAndKeepWriting() throws Exception {
        try (Nsc n = small("space-snap", 12)) {
            n.ctl.createLun("a", 16L * Nsc.SEG);
            n.ctl.presentLun(Nsc.HOST, 0, "a");
            ItNexus x = n.nexus(Nsc.HOST);
            byte[] old = Nsc.pattern(8 * Nsc.SEG, 2);
            assertTrue(n.runNoUa(x, 0, write10(0, 8 * SEG_BLOCKS, true), old, old.length).good());
            n.ctl.snapshot("a", "s1", false, AllocationPolicy.ON_DEMAND).taken().get(20, TimeUnit.SECONDS);
            SnapshotRecord snap = n.ctl.listSnapshots().get(0);
            n.ctl.cache().pauseDestage();
            byte[] blk = Nsc.pattern(8 * 512, 3);
            for (int s = 0; s < 8; s++) {   // each needs a CFW copy for s1: 4 segments free
                Nsc.Result w = n.runNoUa(x, 0, write10((long) s * SEG_BLOCKS, 8, false), blk, blk.length);
                assertTrue(w.good(), "segment " + s + ": " + w);
            }
            assertFalse(n.trees.isValid(snap.disk()), "s1 invalidated when its CFW found no space");
            n.ctl.cache().resumeDestage();
            assertTrue(n.runNoUa(x, 0, Nsc.syncCache10(), null, 0).good());
            assertEquals(0.0, n.ctl.cache().stats().destageErrors(), "no destage failed");
            for (int s = 0; s < 8; s++) {
                byte[] want = java.util.Arrays.copyOfRange(old, s * Nsc.SEG, (s + 1) * Nsc.SEG);
                System.arraycopy(blk, 0, want, 0, blk.length);
                assertArrayEquals(want, n.runNoUa(x, 0, read10((long) s * SEG_BLOCKS, SEG_BLOCKS), null, Nsc.SEG).data);
            }
        }
    }
}
