package io.evasan.nsc.cache.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.cache.CacheLogDescriptor;
import io.evasan.nsc.cache.NvLogMedium;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.zip.CRC32C;

import static io.evasan.nsc.cache.CacheLogDescriptor.*;

/**
 * The memory behind a write-back cache: fixed-size segments, each an append-only run of records
 * laid out per {@link CacheLogDescriptor}. Volatile: direct buffers. Non-volatile: one mapped
 * region per segment of a log file, with CRC32C per record.
 *
 * <p>Invariants: records are appended only to the active segment; a segment returns to the free
 * list only when it is not active and all its records are released; a record's state becomes
 * LIVE only after its header, payload and crc are in place (so a scan after kill -9 sees only
 * whole, acknowledged records as LIVE). Not thread-safe: the cache calls it under its lock, except
 * reads of committed payload bytes, which are immutable until the record is released.
 */
public final class SegmentStore implements AutoCloseable {
    private final int segmentSize;
    private final int segmentCount;
    private final boolean nonVolatile;
    private final boolean force;
    private boolean formattedAtOpen;
    private final ByteBuffer[] segs;
    private final NvLogMedium channel;
    private final ByteBuffer header;
    private final long[] epochs;
    private final int[] liveCount;
    private final int[] freeStack;
    private int freeTop;
    private int active = -1;
    private int activePos;
    private long nextEpoch;
    /**
     * The next-epoch value of the file header as last persisted (at format / trim): every segment
     * activated since has an epoch >= it, every segment from before the last trim one below it. A
     * segment header with an older epoch is stale, so a trim takes effect atomically when its file
     * header is durable, not when the last segment header is wiped.
     */
    private long epochFloor;
    private final CRC32C crc = new CRC32C();
    private final ByteBuffer[] crcViews;

    /** One record found LIVE by a recovery scan. */
    public record Recovered(long seq, int type, long address) {
    }

    private SegmentStore(int segmentSize, int segmentCount, boolean nonVolatile, boolean force, ByteBuffer[] segs,
                         NvLogMedium channel, ByteBuffer header, long nextEpoch) {
        this.segmentSize = segmentSize;
        this.segmentCount = segmentCount;
        this.nonVolatile = nonVolatile;
        this.force = force;
        this.segs = segs;
        this.channel = channel;
        this.header = header;
        this.epochs = new long[segmentCount];
        this.liveCount = new int[segmentCount];
        this.freeStack = new int[segmentCount];
        this.nextEpoch = nextEpoch;
        this.epochFloor = nextEpoch;
        this.crcViews = new ByteBuffer[segmentCount];
        for (int i = 0; i < segmentCount; i++) {
            crcViews[i] = segs[i].duplicate();
        }
    }

    /** A volatile store in direct memory. */
    public static SegmentStore volatileStore(int segmentSize, int segmentCount) {
        ByteBuffer[] segs = new ByteBuffer[segmentCount];
        for (int i = 0; i < segmentCount; i++) {
            segs[i] = ByteBuffer.allocateDirect(segmentSize).order(ByteOrder.LITTLE_ENDIAN);
        }
        SegmentStore s = new SegmentStore(segmentSize, segmentCount, false, false, segs, null, null, 1);
        s.resetAllFree();
        return s;
    }

    /**
     * Opens (or creates) a log file. If it holds a valid header, its own geometry is used (the
     * file's header wins) and its LIVE records can be listed with {@link #scanLive()}; call
     * {@link #trim()} after replaying them. An empty file, an all-zero header, or our magic with a
     * bad crc (a header torn while formatting or trimming, both of which happen only when no
     * unreplayed record exists) is formatted with the given geometry. Any other content is a
     * foreign file: {@code StorageException(CORRUPT_METADATA)}, the file untouched. The file is
     * locked for the life of the store (released by close or by process death); a log already
     * open elsewhere: {@code StorageException(INVALID_STATE)}.
     */
    public static SegmentStore openLog(Path file, int segmentSize, int segmentCount, boolean force) {
        return openLog(NvLogMedium::mapped, file, segmentSize, segmentCount, force);
    }

    /** {@link #openLog(Path, int, int, boolean)} on the medium {@code opener} gives for {@code file}. */
    public static SegmentStore openLog(NvLogMedium.Opener opener, Path file, int segmentSize, int segmentCount,
                                       boolean force) {
        NvLogMedium ch;
        try {
            ch = opener.open(file);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot open cache log " + file + ": " + e.getMessage(), e);
        }
        return openLog(ch, file.toString(), segmentSize, segmentCount, force);
    }

    /**
     * {@link #openLog(Path, int, int, boolean)} over any {@link NvLogMedium} (tests: a simulated
     * power cut); the store owns the medium and closes it.
     */
    public static SegmentStore openLog(NvLogMedium ch, String file, int segmentSize, int segmentCount, boolean force) {
        try {
            boolean ok = false;
            try {
                if (!ch.tryLock()) {
                    throw new StorageException(ErrorCode.INVALID_STATE, "cache log " + file
                            + " is in use by another cache (process or controller)");
                }
                int segSize = segmentSize;
                int count = segmentCount;
                long nextEpoch = 1;
                boolean valid = false;
                if (ch.size() > 0) {
                    ByteBuffer h = ByteBuffer.allocate(FILE_HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
                    ch.read(h, 0);
                    boolean zero = true;
                    for (int i = 0; i < FILE_HEADER_LENGTH && zero; i++) {
                        zero = h.get(i) == 0;
                    }
                    if (!zero && h.getLong(FILE_MAGIC_OFFSET) != FILE_MAGIC) {
                        // refuse to format a file that is not ours
                        throw new StorageException(ErrorCode.CORRUPT_METADATA, file + " is not a cache log");
                    }
                    CRC32C c = new CRC32C();
                    c.update(h.array(), 0, FILE_CRC_OFFSET);
                    if (h.getLong(FILE_MAGIC_OFFSET) == FILE_MAGIC && h.getInt(FILE_VERSION_OFFSET) == VERSION
                            && (int) c.getValue() == h.getInt(FILE_CRC_OFFSET)) {
                        int fs = h.getInt(FILE_SEGMENT_SIZE_OFFSET);
                        int fc = h.getInt(FILE_SEGMENT_COUNT_OFFSET);
                        if (fs >= 4096 && fc >= 1 && fc <= MAX_SEGMENTS && ch.size() >= fileLength(fs, fc)) {
                            segSize = fs;
                            count = fc;
                            nextEpoch = h.getLong(FILE_NEXT_EPOCH_OFFSET);
                            valid = true;
                        }
                    }
                }
                if (!valid) {
                    ch.truncate(0);
                }
                long len = fileLength(segSize, count);
                if (ch.size() < len) {
                    ch.write(ByteBuffer.allocate(1), len - 1); // sparse extension
                }
                ByteBuffer hdr = ch.map(0, FILE_HEADER_LENGTH);
                hdr.order(ByteOrder.LITTLE_ENDIAN);
                ByteBuffer[] segs = new ByteBuffer[count];
                for (int i = 0; i < count; i++) {
                    segs[i] = ch.map(segmentFileOffset(segSize, i), segSize)
                            .order(ByteOrder.LITTLE_ENDIAN);
                }
                SegmentStore s = new SegmentStore(segSize, count, true, force, segs, ch, hdr, nextEpoch);
                if (!valid) {
                    s.format(true);   // truncated above: every segment is a hole and reads as zero already
                    s.formattedAtOpen = true;
                } else {
                    s.loadSegmentHeaders();
                }
                ok = true;
                return s;
            } finally {
                if (!ok) {
                    ch.close();
                }
            }
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot open cache log " + file + ": " + e.getMessage(), e);
        }
    }

    /** Deletes a log file (tests, decommission). */
    public static void delete(Path file) throws IOException {
        Files.deleteIfExists(file);
    }

    public int segmentSize() { return segmentSize; }
    public int segmentCount() { return segmentCount; }
    public boolean nonVolatile() { return nonVolatile; }

    /** The little-endian buffer of a segment (absolute access only). */
    public ByteBuffer segment(int i) {
        return segs[i];
    }

    /** Largest payload one record can carry (a whole fresh segment), rounded down to 512. */
    public int maxPayloadPerSegment() {
        return (segmentSize - SEGMENT_HEADER_LENGTH - RECORD_HEADER_LENGTH) & ~511;
    }

    /** Payload bytes (multiple of 512) that fit into the active segment now. */
    public int activeRoom512() {
        if (active < 0) {
            return 0;
        }
        int room = segmentSize - activePos - RECORD_HEADER_LENGTH;
        return room < 512 ? 0 : room & ~511;
    }

    /** Free (never-active, fully released) segments. */
    public int freeSegments() {
        return freeTop;
    }

    /** True if a record of {@code payload} bytes (any size) fits in the active or a free segment. */
    public boolean fitsSmall(int payload) {
        return (active >= 0 && activePos + frameLength(payload) <= segmentSize) || freeTop > 0;
    }

    /**
     * Appends a record header (state WRITING) for {@code payload} bytes and returns its address; the
     * caller then fills the payload at {@code offsetOf(addr) + PAYLOAD_OFFSET} of
     * {@link #segment(int)} and calls {@link #commit}. The caller has checked that it fits.
     */
    public long append(int type, long seq, int a, int b, long c, int payload) {
        int frame = frameLength(payload);
        if (active < 0 || activePos + frame > segmentSize) {
            switchSegment();
            if (activePos + frame > segmentSize) {
                throw new IllegalStateException("record of " + payload + " bytes exceeds a segment");
            }
        }
        ByteBuffer s = segs[active];
        int rec = activePos;
        s.putInt(rec + STATE_OFFSET, STATE_WRITING);
        s.putInt(rec + FRAME_LENGTH_OFFSET, frame);
        s.putInt(rec + TYPE_OFFSET, type);
        s.putLong(rec + SEQ_OFFSET, seq);
        s.putLong(rec + EPOCH_OFFSET, epochs[active]);
        s.putInt(rec + CRC_OFFSET, 0);
        s.putInt(rec + INITIATOR_OFFSET, a);
        s.putInt(rec + LUN_OFFSET, b);
        s.putLong(rec + BYTE_OFFSET_OFFSET, c);
        s.putInt(rec + PAYLOAD_LENGTH_OFFSET, payload);
        s.putInt(rec + 52, 0);
        activePos += frame;
        liveCount[active]++;
        if (activePos + RECORD_HEADER_LENGTH <= segmentSize) {
            s.putInt(activePos + FRAME_LENGTH_OFFSET, 0); // end-of-segment mark for the scan
        }
        return address(active, rec);
    }

    /** Seals the record: crc (non-volatile), then state LIVE, then msync when configured. */
    public void commit(long addr) {
        int seg = segmentOf(addr);
        int rec = offsetOf(addr);
        ByteBuffer s = segs[seg];
        if (nonVolatile) {
            int frame = s.getInt(rec + FRAME_LENGTH_OFFSET);
            int payload = s.getInt(rec + PAYLOAD_LENGTH_OFFSET);
            s.putInt(rec + CRC_OFFSET, recordCrc(seg, rec, payload));
            s.putInt(rec + STATE_OFFSET, STATE_LIVE);
            if (force) {
                channel.force(s, rec, frame);
            }
        } else {
            s.putInt(rec + STATE_OFFSET, STATE_LIVE);
        }
    }

    private int recordCrc(int seg, int rec, int payload) {
        ByteBuffer v = crcViews[seg];
        crc.reset();
        v.limit(rec + STATE_OFFSET).position(rec);
        crc.update(v);
        v.limit(rec + PAYLOAD_OFFSET + payload).position(rec + CRC_TAIL_START);
        crc.update(v);
        return (int) crc.getValue();
    }

    /**
     * Marks a record DONE (destaged / snapshot taken) and releases its space. With force the state
     * is msync'd before returning (power-loss mode: the caller flushed the backend first).
     */
    public void done(long addr) {
        int seg = segmentOf(addr);
        int rec = offsetOf(addr);
        segs[seg].putInt(rec + STATE_OFFSET, STATE_DONE);
        if (nonVolatile && force) {
            channel.force(segs[seg], rec + STATE_OFFSET, 4);
        }
        if (--liveCount[seg] == 0 && seg != active) {
            freeStack[freeTop++] = seg;
        }
    }

    private void switchSegment() {
        if (active >= 0 && liveCount[active] == 0) {
            freeStack[freeTop++] = active;
        }
        if (freeTop == 0) {
            throw new IllegalStateException("no free segment (caller must check room first)");
        }
        active = freeStack[--freeTop];
        activePos = SEGMENT_HEADER_LENGTH;
        long epoch = nextEpoch++;
        epochs[active] = epoch;
        ByteBuffer s = segs[active];
        s.putInt(SEGMENT_MAGIC_OFFSET, SEGMENT_MAGIC);
        s.putInt(4, 0);
        s.putLong(SEGMENT_EPOCH_OFFSET, epoch);
        s.putInt(SEGMENT_HEADER_LENGTH + FRAME_LENGTH_OFFSET, 0);
        if (nonVolatile) {
            s.putInt(SEGMENT_CRC_OFFSET, segmentHeaderCrc(active));
            if (force) {
                channel.force(s, 0, SEGMENT_HEADER_LENGTH + RECORD_HEADER_LENGTH);
            }
        }
    }

    private int segmentHeaderCrc(int seg) {
        ByteBuffer v = crcViews[seg];
        crc.reset();
        v.limit(SEGMENT_CRC_OFFSET).position(0);
        crc.update(v);
        return (int) crc.getValue();
    }

    private boolean segmentHeaderValid(int seg) {
        ByteBuffer s = segs[seg];
        return s.getInt(SEGMENT_MAGIC_OFFSET) == SEGMENT_MAGIC && s.getLong(SEGMENT_EPOCH_OFFSET) > 0
                && s.getLong(SEGMENT_EPOCH_OFFSET) >= epochFloor && s.getInt(SEGMENT_CRC_OFFSET) == segmentHeaderCrc(seg);
    }

    private void loadSegmentHeaders() {
        for (int i = 0; i < segmentCount; i++) {
            if (segmentHeaderValid(i)) {
                epochs[i] = segs[i].getLong(SEGMENT_EPOCH_OFFSET);
                nextEpoch = Math.max(nextEpoch, epochs[i] + 1);
            }
        }
    }

    /**
     * Lists the LIVE records of a reopened log, in sequence order. A record whose frame length,
     * epoch or crc is wrong ends the scan of its segment (torn last append or stale data).
     */
    public List<Recovered> scanLive() {
        List<Recovered> out = new ArrayList<>();
        for (int i = 0; i < segmentCount; i++) {
            if (!segmentHeaderValid(i)) {
                continue;
            }
            ByteBuffer s = segs[i];
            long epoch = epochs[i];
            int pos = SEGMENT_HEADER_LENGTH;
            while (pos + RECORD_HEADER_LENGTH <= segmentSize) {
                int frame = s.getInt(pos + FRAME_LENGTH_OFFSET);
                int payload = s.getInt(pos + PAYLOAD_LENGTH_OFFSET);
                if (frame < RECORD_HEADER_LENGTH || pos + frame > segmentSize || payload < 0
                        || frame != frameLength(payload) || s.getLong(pos + EPOCH_OFFSET) != epoch) {
                    break;
                }
                int type = s.getInt(pos + TYPE_OFFSET);
                if ((type != TYPE_WRITE && type != TYPE_MARKER)
                        || s.getInt(pos + CRC_OFFSET) != recordCrc(i, pos, payload)) {
                    break;
                }
                if (s.getInt(pos + STATE_OFFSET) == STATE_LIVE) {
                    out.add(new Recovered(s.getLong(pos + SEQ_OFFSET), type, address(i, pos)));
                }
                pos += frame;
            }
        }
        out.sort(Comparator.comparingLong(Recovered::seq));
        return out;
    }

    /**
     * Empties the log after its records were replayed: persists a new epoch base (the file header,
     * forced: from then on every existing segment is stale, see {@code epochFloor}), then wipes
     * every segment header and (non-volatile) forces the wipes.
     */
    public void trim() {
        format(false);
    }

    /**
     * Whether {@link #openLog} formatted the file (new, or not a valid log of this version): the log then holds
     * nothing and its epoch floor is durable, so a {@link #trim} adds nothing.
     */
    public boolean formattedAtOpen() {
        return formattedAtOpen;
    }

    /** {@code zeroed}: the file was just truncated and extended, so the segment headers need no wipe. */
    private void format(boolean zeroed) {
        if (nonVolatile) {
            // the durable header (new epoch floor) is the commit point: after it, every older segment
            // is stale even if the wipe below is cut short (a kill -9 or power cut inside the trim)
            writeFileHeader();
            channel.force(header);
        }
        epochFloor = nextEpoch;
        // the wipe needs no force of its own: with the header above durable, a segment whose wipe is lost is older
        // than the epoch floor and reads as free (a force per segment cost ~10 ms each here, most of a takeover)
        // (a wipe of a hole would only fault its page in: ~1 ms per segment of a new sparse file here)
        for (int i = 0; i < segmentCount && !zeroed; i++) {
            ByteBuffer s = segs[i];
            for (int o = 0; o < SEGMENT_HEADER_LENGTH + RECORD_HEADER_LENGTH; o += 8) {
                s.putLong(o, 0L);
            }
        }
        resetAllFree();
    }

    private void writeFileHeader() {
        header.putLong(FILE_MAGIC_OFFSET, FILE_MAGIC);
        header.putInt(FILE_VERSION_OFFSET, VERSION);
        header.putInt(FILE_SEGMENT_SIZE_OFFSET, segmentSize);
        header.putInt(FILE_SEGMENT_COUNT_OFFSET, segmentCount);
        header.putInt(20, 0);
        header.putLong(FILE_NEXT_EPOCH_OFFSET, nextEpoch);
        CRC32C c = new CRC32C();
        ByteBuffer v = header.duplicate();
        v.limit(FILE_CRC_OFFSET).position(0);
        c.update(v);
        header.putInt(FILE_CRC_OFFSET, (int) c.getValue());
    }

    private void resetAllFree() {
        freeTop = 0;
        for (int i = segmentCount - 1; i >= 0; i--) {
            liveCount[i] = 0;
            freeStack[freeTop++] = i;
        }
        active = -1;
        activePos = 0;
    }

    /** Forces the whole mapped log to disk (non-volatile; no-op for volatile memory). */
    public void forceAll() {
        if (nonVolatile) {
            for (ByteBuffer s : segs) {
                channel.force(s);
            }
        }
    }

    @Override
    public void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                throw new StorageException(ErrorCode.IO_ERROR, "closing cache log: " + e.getMessage(), e);
            }
        }
    }
}
