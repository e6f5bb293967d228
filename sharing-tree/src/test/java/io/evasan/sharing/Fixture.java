package io.evasan.sharing;

import io.evasan.mapping.Mapping;
import io.evasan.mapping.MappingOptions;
import io.evasan.mapping.Mappings;
import io.evasan.raid.Pool;
import io.evasan.sharing.impl.SharingTreesImpl;
import io.evasan.sharing.sharebits.ShareEntry;
import io.evasan.sharing.spi.SegmentMaps;
import io.evasan.sharing.spi.impl.MemorySegmentMaps;

import java.nio.file.Path;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Named disks over an engine, for the figure tests: the in-memory store, or (with a directory) the real
 * mapping over a RAID0 pool of sparse drive files.
 */
final class Fixture implements AutoCloseable {
    final SegmentMaps maps;
    final SharingTreesImpl st;
    final Map<String, Long> ids = new LinkedHashMap<>();
    final int segments;
    final int seg;
    private final AutoCloseable[] below;

    Fixture(int segments) {
        this(segments, SharingConfig.defaults().withBackground(false));
    }

    Fixture(int segments, SharingConfig cfg) {
        this(segments, cfg, null);
    }

    /** @param realStore null: {@link MemorySegmentMaps}; else the directory of a real pool and mapping */
    Fixture(int segments, SharingConfig cfg, Path realStore) {
        this.segments = segments;
        if (realStore == null) {
            maps = new MemorySegmentMaps(4096, 10_000);
            below = new AutoCloseable[0];
        } else {
            Pool pool = MappingIntegrationTest.pool(realStore.resolve("pool"), 64);
            Mapping m = Mappings.open(pool, realStore.resolve("state"), MappingOptions.defaults());
            maps = MappingIntegrationTest.maps(pool, m);
            below = new AutoCloseable[] {m, pool};
        }
        seg = maps.segmentBytes();
        st = new SharingTreesImpl(maps, cfg, SharingStats.standalone());
    }

    Fixture lun(String name) {
        ids.put(name, st.createLun(segments));
        return this;
    }

    Fixture snap(String name, String of) {
        ids.put(name, st.snapshot(id(of), AllocationPolicy.ON_DEMAND));
        return this;
    }

    Fixture clone(String name, String of, SnapcloneMode mode) {
        ids.put(name, st.snapclone(id(of), AllocationPolicy.ON_DEMAND, mode));
        return this;
    }

    long id(String name) {
        Long v = ids.get(name);
        if (v == null) {
            throw new IllegalArgumentException(name);
        }
        return v;
    }

    /** Fills segment s of a disk with byte v (a whole-segment write). */
    Fixture fill(String disk, int s, int v) {
        byte[] b = new byte[seg];
        Arrays.fill(b, (byte) v);
        st.write(id(disk), (long) s * seg, b, 0, seg);
        return this;
    }

    /** Writes 512 bytes of v at the start of segment s (a partial write). */
    Fixture poke(String disk, int s, int v) {
        byte[] b = new byte[512];
        Arrays.fill(b, (byte) v);
        st.write(id(disk), (long) s * seg, b, 0, 512);
        return this;
    }

    /** "Sp Ss holds" as 0/1 digits, e.g. "1 0 1": the bits as stored, holds = the stored HOLDER bit. */
    String bits(String disk, int s) {
        long e = maps.entry(id(disk), s);
        boolean holds = ShareEntry.holder(e);
        return (ShareEntry.sp(e) ? "1" : "0") + " " + (ShareEntry.ss(e) ? "1" : "0") + " " + (holds ? "1" : "0");
    }

    /** Snapclone {@code clone} has left: an independent LUN alone in its tree, and {@code chain} (oldest first) remains. */
    void assertLeft(String clone, String... chain) {
        java.util.List<Long> want = new java.util.ArrayList<>();
        for (String n : chain) {
            want.add(id(n));
        }
        org.junit.jupiter.api.Assertions.assertEquals(want, st.chain(id(chain[chain.length - 1])));
        org.junit.jupiter.api.Assertions.assertEquals(java.util.List.of(id(clone)), st.chain(id(clone)));
        org.junit.jupiter.api.Assertions.assertEquals(DiskKind.LUN, st.kind(id(clone)));
    }

    /** A figure row: the stored "Sp Ss holds" of segment s of the disk, and the first byte it reads. */
    void assertRow(String disk, int s, String bits, int data) {
        org.junit.jupiter.api.Assertions.assertEquals(bits, bits(disk, s), disk + " segment " + s);
        org.junit.jupiter.api.Assertions.assertEquals(data, first(disk, s), disk + " segment " + s);
    }

    void assertFilled(String disk, int s, int v) {
        byte[] b = new byte[seg];
        st.read(id(disk), (long) s * seg, b, 0, seg);
        byte[] want = new byte[seg];
        Arrays.fill(want, (byte) v);
        assertArrayEquals(want, b, disk + " segment " + s);
    }

    /** First byte of segment s of the disk. */
    int first(String disk, int s) {
        byte[] b = new byte[512];
        st.read(id(disk), (long) s * seg, b, 0, 512);
        return b[0] & 0xff;
    }

    @Override
    public void close() {
        st.close();
        for (AutoCloseable c : below) {
            try {
                c.close();
            } catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        }
    }
}
