package io.evasan.sharing;

import io.evasan.sharing.impl.SharingTreesImpl;
import io.evasan.sharing.sharebits.ShareEntry;
import io.evasan.sharing.spi.impl.MemorySegmentMaps;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Named disks over an in-memory engine, for the figure tests. */
final class Fixture implements AutoCloseable {
    static final int SEG = 4096;
    final MemorySegmentMaps maps;
    final SharingTreesImpl st;
    final Map<String, Long> ids = new LinkedHashMap<>();
    final int segments;

    Fixture(int segments) {
        this(segments, SharingConfig.defaults().withBackground(false));
    }

    Fixture(int segments, SharingConfig cfg) {
        this.segments = segments;
        maps = new MemorySegmentMaps(SEG, 10_000);
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
        byte[] b = new byte[SEG];
        Arrays.fill(b, (byte) v);
        st.write(id(disk), (long) s * SEG, b, 0, SEG);
        return this;
    }

    /** Writes 512 bytes of v at the start of segment s (a partial write). */
    Fixture poke(String disk, int s, int v) {
        byte[] b = new byte[512];
        Arrays.fill(b, (byte) v);
        st.write(id(disk), (long) s * SEG, b, 0, 512);
        return this;
    }

    /** "Sp Ss holds" as 0/1 digits, e.g. "1 0 1". */
    String bits(String disk, int s) {
        long e = st.entry(id(disk), s);
        boolean holds = !ShareEntry.ss(e);
        return (ShareEntry.sp(e) ? "1" : "0") + " " + (ShareEntry.ss(e) ? "1" : "0") + " " + (holds ? "1" : "0");
    }

    void assertFilled(String disk, int s, int v) {
        byte[] b = new byte[SEG];
        st.read(id(disk), (long) s * SEG, b, 0, SEG);
        byte[] want = new byte[SEG];
        Arrays.fill(want, (byte) v);
        assertArrayEquals(want, b, disk + " segment " + s);
    }

    /** First byte of segment s of the disk. */
    int first(String disk, int s) {
        byte[] b = new byte[512];
        st.read(id(disk), (long) s * SEG, b, 0, 512);
        return b[0] & 0xff;
    }

    @Override
    public void close() {
        st.close();
    }
}
