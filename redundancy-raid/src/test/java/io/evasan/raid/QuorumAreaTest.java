package io.evasan.raid;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.drive.DriveLabelDescriptor;
import io.evasan.raid.drive.QuorumArea;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.evasan.raid.RaidTestSupport.MIB;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The quorum areas the MLD layer builds on: 8 MiB per drive, never touched by RAID I/O. */
class QuorumAreaTest {
    @TempDir
    Path dir;

    @Test
    void shouldKeepQuorumDataApartFromRaidDataAcrossReopen() {
        Map<UUID, byte[]> written = new HashMap<>();
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(8, 32 * MIB))) {
            List<QuorumArea> areas = pool.quorumAreas();
            assertEquals(8, areas.size());
            for (QuorumArea q : areas) {
                assertEquals(DriveLabelDescriptor.QUORUM_BYTES, q.sizeBytes());
                byte[] d = new byte[4096];
                new java.util.Random(q.driveId().getLeastSignificantBits()).nextBytes(d);
                q.write(0, ByteBuffer.wrap(d));
                q.write(q.sizeBytes() - 4096, ByteBuffer.wrap(d));
                q.force();
                written.put(q.driveId(), d);
            }
            // fill every PSEG with RAID data: the quorum areas must be untouched
            DiskGroup g = pool.diskGroup(0);
            while (true) {
                try {
                    RStore s = g.allocate(RaidLevel.RAID0);
                    byte[] ff = new byte[(int) RStore.SIZE_BYTES];
                    java.util.Arrays.fill(ff, (byte) 0xFF);
                    s.write(0, ByteBuffer.wrap(ff));
                } catch (StorageException e) {
                    break;
                }
            }
            QuorumArea q0 = areas.get(0);
            StorageException e = assertThrows(StorageException.class, () -> q0.read(100, ByteBuffer.allocate(512)));
            assertEquals(ErrorCode.UNALIGNED_IO, e.code());
            e = assertThrows(StorageException.class, () -> q0.write(q0.sizeBytes(), ByteBuffer.allocate(512)));
            assertEquals(ErrorCode.OUT_OF_RANGE, e.code());
            g.failDrive(0);
            assertEquals(7, pool.quorumAreas().size());
            assertFalse(q0.isAvailable());
            e = assertThrows(StorageException.class, () -> q0.read(0, ByteBuffer.allocate(512)));
            assertEquals(ErrorCode.DRIVE_FAILED, e.code());
            g.pullDrive(1);
            QuorumArea q1 = areas.get(1);
            e = assertThrows(StorageException.class, () -> q1.read(0, ByteBuffer.allocate(512)));
            assertEquals(ErrorCode.DRIVE_MISSING, e.code());
        }
        try (Pool pool = Pools.open(dir)) {
            List<QuorumArea> areas = pool.quorumAreas();
            assertEquals(8, areas.size(), "drill states do not persist: all drives are back");
            for (QuorumArea q : areas) {
                byte[] a = new byte[4096];
                byte[] b = new byte[4096];
                q.read(0, ByteBuffer.wrap(a));
                q.read(q.sizeBytes() - 4096, ByteBuffer.wrap(b));
                assertArrayEquals(written.get(q.driveId()), a);
                assertArrayEquals(written.get(q.driveId()), b);
            }
        }
    }
}
