package io.evasan.raid;

import io.evasan.raid.drive.DriveLabel;
import io.evasan.raid.drive.DriveLabelDescriptor;
import io.evasan.raid.pseg.PsegAddress;
import io.evasan.raid.pseg.PsegAllocator;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rsd.RsdDescriptor;
import io.evasan.raid.rstore.RaidLevel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Layouts round-trip; torn or corrupt records are rejected; geometry figures. */
class DescriptorTest {
    @ParameterizedTest
    @CsvSource({"0,0", "1,4095", "11,123456", "65535,2147483647"})
    void shouldPackPsegAddresses(int drive, int pseg) {
        long a = PsegAddress.encode(drive, pseg);
        assertEquals(drive, PsegAddress.drive(a));
        assertEquals(pseg, PsegAddress.pseg(a));
        assertTrue(a >= 0);
    }

    @Test
    void shouldRejectBadPsegAddresses() {
        assertThrows(IllegalArgumentException.class, () -> PsegAddress.encode(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> PsegAddress.encode(65536, 0));
        assertThrows(IllegalArgumentException.class, () -> PsegAddress.encode(0, -1));
    }

    @Test
    void shouldRoundTripLabelAndDetectCorruption() {
        DriveLabel l = new DriveLabel(3, UUID.randomUUID(), UUID.randomUUID(), 2, "dg-x", 7, 1, 5, 8L << 30,
                DriveLabelDescriptor.psegCount(8L << 30), 0);
        ByteBuffer b = ByteBuffer.allocate(DriveLabelDescriptor.LABEL_BYTES);
        DriveLabelDescriptor.encode(l, b);
        assertEquals(l, DriveLabelDescriptor.decode(b));
        for (int i : new int[] {0, 24, 60, 136, 507}) {
            ByteBuffer c = ByteBuffer.allocate(DriveLabelDescriptor.LABEL_BYTES);
            DriveLabelDescriptor.encode(l, c);
            c.put(i, (byte) (c.get(i) ^ 0x40));
            assertNull(DriveLabelDescriptor.decode(c), "flipped byte " + i);
        }
    }

    /** Seed [0059]: 2 MB PSEGs of 4096 sectors; 8 GiB / 16 GiB drives of the embedded default. */
    @ParameterizedTest
    @CsvSource({"8589934592,4091", "17179869184,8187", "12582912,1", "12582911,0"})
    void shouldCutDrivesIntoPsegs(long capacity, int psegs) {
        assertEquals(4096 * 512, DriveLabelDescriptor.PSEG_BYTES);
        assertEquals(psegs, DriveLabelDescriptor.psegCount(capacity));
        if (psegs > 0) {
            assertTrue(DriveLabelDescriptor.dataOffset(psegs) + (long) psegs * DriveLabelDescriptor.PSEG_BYTES <= capacity);
            assertTrue(DriveLabelDescriptor.dataOffset(psegs) % (1 << 20) == 0);
        }
        assertEquals(12582912L, DriveLabelDescriptor.minimumDriveBytes());
    }

    @Test
    void shouldRoundTripRsdEntriesAndRejectTornOnes() {
        Rsd r = new Rsd(123456789L, 2, RaidLevel.RAID1, 9, -1, 0b1000_0001, new int[] {0, 1, 2, 3, 4, 5, 6, 7},
                new int[] {10, 11, 12, 13, 14, 15, 16, 4000});
        ByteBuffer b = ByteBuffer.allocate(2 * RsdDescriptor.ENTRY_BYTES);
        RsdDescriptor.encodeUsed(r, 5, b, RsdDescriptor.ENTRY_BYTES);
        assertEquals(0, RsdDescriptor.kind(b, 0), "untouched entry reads as never used");
        assertEquals(RsdDescriptor.KIND_USED, RsdDescriptor.kind(b, RsdDescriptor.ENTRY_BYTES));
        assertEquals(5, RsdDescriptor.member(b, RsdDescriptor.ENTRY_BYTES));
        assertEquals(r, RsdDescriptor.decodeUsed(b, RsdDescriptor.ENTRY_BYTES));
        b.put(RsdDescriptor.ENTRY_BYTES + 40, (byte) 1); // torn: member list changed, CRC not
        assertEquals(-1, RsdDescriptor.kind(b, RsdDescriptor.ENTRY_BYTES));
        RsdDescriptor.encodeTombstone(RsdDescriptor.KIND_FREED, 77, 4, b, 0);
        assertEquals(RsdDescriptor.KIND_FREED, RsdDescriptor.kind(b, 0));
        assertEquals(77, RsdDescriptor.rsdId(b, 0));
        assertEquals(4, RsdDescriptor.generation(b, 0));
    }

    @Test
    void shouldAllocateAndReleasePsegsWithBitmaps() {
        PsegAllocator a = new PsegAllocator(130);
        for (int i = 0; i < 130; i++) {
            assertEquals(i, a.allocate());
        }
        assertEquals(-1, a.allocate());
        a.release(64);
        assertTrue(a.isDirty(64));
        assertEquals(129, a.used());
        assertEquals(64, a.allocate());
        assertThrows(IllegalArgumentException.class, () -> a.release(130));
    }

    @Test
    void shouldCreateMetersUpFront() {
        SimpleMeterRegistry reg = new SimpleMeterRegistry();
        RaidStats s = new RaidStats(reg, "dg0");
        assertEquals(3, reg.find("evasan.raid.reads").counters().size());
        assertEquals(3, reg.find("evasan.raid.degraded.reads").counters().size());
        assertTrue(reg.find("evasan.raid.rebuild.done").gauge() != null);
        assertTrue(reg.find("evasan.raid.drive.errors").counter() != null);
        s.write(RaidLevel.RAID5, 4096);
        s.rebuildProgress(3, 10);
        assertEquals(4096, reg.find("evasan.raid.bytes.written").tag("level", "RAID5").counter().count());
        assertEquals(3, reg.find("evasan.raid.rebuild.done").gauge().value());
    }
}
