package io.evasan.mld.lease;

import io.evasan.mld.Mld;
import io.evasan.mld.MldBatch;
import io.evasan.mld.MldBlockDescriptor;
import io.evasan.mld.MldOptions;
import io.evasan.mld.Mlds;
import io.evasan.raid.drive.QuorumArea;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class LeaseDescriptorTest {
    /** Controller B's claim of generation 0x0102030405060708, counter 0x1112131415161718, 3000 ms; first 64 bytes. */
    static final String GOLDEN = "4556414c45415345" + "01000000" + "01000000" + "01000000" + "00000000"
            + "0807060504030201" + "1817161514131211" + "b80b000000000000" + "00".repeat(12) + "%s";
    static final String GOLDEN_CRC = "6c4ec8a7";

    private static LeaseRecord golden() {
        return new LeaseRecord(1, 1, 0x0102030405060708L, 0x1112131415161718L, 3000);
    }

    @Test
    void shouldEncodeTheGoldenBytes() {
        ByteBuffer b = LeaseDescriptor.encode(golden());
        assertEquals(512, b.limit());
        String crcLe = HexFormat.of().formatHex(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(MldBlockDescriptor.crc(b, 0, 60)).array());
        String head = HexFormat.of().formatHex(b.array(), 0, 64);
        assertEquals(GOLDEN.formatted(crcLe), head);
        assertEquals(GOLDEN.formatted(GOLDEN_CRC), head, "CRC32C pinned");
        for (int i = 64; i < 512; i++) {
            assertEquals(0, b.get(i), "byte " + i);
        }
        assertEquals(golden(), LeaseDescriptor.decode(b, 1, 0));
    }

    @Test
    void shouldRoundTripAReleaseAndRejectAMisplacedBlock() {
        LeaseRecord release = new LeaseRecord(0, LeaseRecord.NONE, 7, 9, 1500);
        ByteBuffer b = LeaseDescriptor.encode(release);
        assertEquals(release, LeaseDescriptor.decode(b, 0, 1));
        assertFalse(release.claims());
        assertNull(LeaseDescriptor.decode(b, 1, 1), "in B's sector");
        assertNull(LeaseDescriptor.decode(b, 0, 0), "in the sector of the other parity");
        assertNull(LeaseDescriptor.decode(ByteBuffer.allocate(512), 0, 0), "blank");
    }

    @Test
    void shouldRejectABlockWithAnyBitFlippedInItsCheckedBytes() {
        ByteBuffer b = LeaseDescriptor.encode(golden());
        for (int i = 0; i < LeaseDescriptor.CHECKED_LENGTH; i++) {
            for (int bit = 0; bit < 8; bit++) {
                ByteBuffer f = ByteBuffer.wrap(b.array().clone());
                f.put(i, (byte) (f.get(i) ^ (1 << bit)));
                assertNull(LeaseDescriptor.decode(f, 1, 0), "byte " + i + " bit " + bit);
            }
        }
    }

    /** A sector torn at any byte between the previous block of that parity and the new one: old, new or none. */
    @Test
    void shouldDecodeABlockTornAtAnyByteAsTheOldTheNewOrNone() {
        LeaseRecord old = new LeaseRecord(0, 0, 4, 10, 3000);
        LeaseRecord neu = new LeaseRecord(0, 0, 4, 12, 3000);
        byte[] o = LeaseDescriptor.encode(old).array();
        byte[] n = LeaseDescriptor.encode(neu).array();
        int none = 0;
        for (int k = 0; k <= 512; k++) {
            for (boolean headFirst : new boolean[] {true, false}) {
                byte[] t = new byte[512];
                for (int i = 0; i < 512; i++) {
                    t[i] = (i < k) == headFirst ? n[i] : o[i];
                }
                LeaseRecord r = LeaseDescriptor.decode(ByteBuffer.wrap(t), 0, 0);
                assertTrue(r == null || r.equals(old) || r.equals(neu), "torn at " + k + ": " + r);
                none += r == null ? 1 : 0;
            }
        }
        System.out.println("[lease] torn sectors decoded as no block: " + none + " of 1026");
    }

    @Test
    void shouldPlaceTheRegionBetweenTheLargestMldBlockAndTheLastSeal() {
        for (long area : new long[] {8L << 20, 256L << 10}) {
            long slot = MldBlockDescriptor.slotSize(area);
            long region = LeaseDescriptor.regionOffset(area);
            assertEquals(area - 512 - 4096, region);
            assertEquals(MldBlockDescriptor.sealOffset(area, 1), region + LeaseDescriptor.REGION_LENGTH);
            assertTrue(MldBlockDescriptor.slotOffset(area, 1) + MldBlockDescriptor.maxBlockLength(slot) <= region);
            assertEquals(8 * 512, 2 * LeaseDescriptor.MAX_CONTROLLERS * LeaseDescriptor.BLOCK_LENGTH);
        }
        assertEquals(0, LeaseDescriptor.blockOffset(0, 0));
        assertEquals(512, LeaseDescriptor.blockOffset(0, 1));
        assertEquals(1024, LeaseDescriptor.blockOffset(1, 2));
        assertEquals(1536, LeaseDescriptor.blockOffset(1, 3));
    }

    /** An MLD written before the lease existed opens unchanged, and MLD commits and lease writes never touch each other. */
    @Test
    void shouldLeaveAnExistingMldIntactAndKeepTheLeaseAcrossMldCommits() {
        List<QuorumArea> areas = List.of(new MemoryQuorumArea(256 << 10), new MemoryQuorumArea(256 << 10),
                new MemoryQuorumArea(256 << 10));
        Mld mld = Mlds.open(areas, MldOptions.defaults());
        byte[] big = new byte[60_000];
        new java.util.Random(1).nextBytes(big);
        mld.commit(new MldBatch().put("lun", "a", big));
        mld.commit(new MldBatch().put("lun", "b", big)); // slot 0 then slot 1, each ~120 KB of a 128 KiB slot
        long gen = mld.generation();
        mld.close();

        long[] t = {0};
        DiskLease a = new DiskLease(LeaseStore.open(areas), 0, new LeaseOptions(3000, 300), () -> t[0]);
        assertTrue(a.tryAcquire());
        for (int i = 0; i < 5; i++) {
            t[0] += 1_000_000_000L;
            assertTrue(a.renew());
        }
        Mld again = Mlds.open(areas, MldOptions.defaults());
        assertEquals(gen, again.generation());
        assertEquals(List.of(), again.openReport(), "no copy needed a repair");
        assertArrayEquals(big, again.get("lun", "b").orElseThrow());
        again.commit(new MldBatch().put("lun", "c", new byte[] {1}));
        again.commit(new MldBatch().put("lun", "d", new byte[] {2}));
        LeaseRecord held = a.read().of(0);
        assertEquals(new LeaseRecord(0, 0, 1, 5, 3000), held, "the lease survives MLD commits");
        assertEquals(3, a.read().copiesOf(0));
    }

    /** An area whose old MLD block reaches into the lease region is never written by the lease. */
    @Test
    void shouldNotWriteAnAreaWhoseMldBlockReachesIntoTheLeaseRegion() {
        MemoryQuorumArea crowded = new MemoryQuorumArea(256 << 10);
        long slotSize = MldBlockDescriptor.slotSize(crowded.sizeBytes());
        int payload = (int) (slotSize - 512 - 64 - 1024); // a pre-lease MLD block that fills nearly the whole slot
        ByteBuffer block = ByteBuffer.allocate(MldBlockDescriptor.blockLength(payload)).order(ByteOrder.LITTLE_ENDIAN);
        block.position(MldBlockDescriptor.PAYLOAD_OFFSET);
        block.putInt(0);
        MldBlockDescriptor.writeHeader(block, 2, payload, 1, 3);
        block.clear();
        crowded.write(MldBlockDescriptor.slotOffset(crowded.sizeBytes(), 1), block);
        byte[] before = crowded.bytes.clone();
        List<QuorumArea> areas = List.of(crowded, new MemoryQuorumArea(256 << 10), new MemoryQuorumArea(256 << 10));
        DiskLease a = new DiskLease(LeaseStore.open(areas), 0, new LeaseOptions(3000, 300), () -> 0L);
        assertTrue(a.tryAcquire(), "a majority (2 of 3) remains");
        assertArrayEquals(before, crowded.bytes, "the crowded area is untouched");
        assertEquals(2, a.read().copiesOf(0));
    }
}
