package io.evasan.raid.bitmap.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.bitmap.BitmapDescriptor;
import io.evasan.raid.bitmap.BitmapDescriptor.Image;
import io.evasan.raid.io.ChannelOpener;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

/**
 * The write-intent bitmap of one disk group, the way Linux md's bitmap works: a bit per chunk
 * (one RStore, {@link BitmapDescriptor#CHUNK_ROWS} rows) that is set and made durable before the
 * first write into the chunk and cleared lazily once the chunk has been quiet for a whole
 * clearing interval and its writes were forced; after an unclean stop only the marked chunks are
 * resynchronised. Layout: {@link BitmapDescriptor}.
 *
 * <p>Where it lives: a file {@code group-<id>.bitmap} in the pool directory, next to the clean
 * marker it refines and the row journal, not in the drives' quorum space: that space belongs to the
 * quorum-mld layer (the RAID layer never touches its contents), and a copy on member drives would
 * have to be mirrored and chosen among at open while drives may be missing, whereas the pool
 * directory survives the loss of any drive, exactly as {@code pool.clean} must.
 *
 * <p>Invariant: whenever a write to an RStore is in flight (between {@link #begin} and
 * {@link #end}) or has ended but may not be durable on the drives, the RStore's bit is set in the
 * last image forced to the file. {@code begin} sets the bit in memory ({@code durable}) only after
 * the image holding it was written and forced; a clearing pass clears a bit only if the chunk had
 * no write in flight and none began since the previous pass, after forcing the drives, and it
 * re-checks after clearing the bit in memory (a writer that raced it either is seen in flight or
 * sees the bit clear and sets it durably again). Every image rewrite is forced before the next one
 * starts, so a power cut can tear only the newest image; a torn or unreadable image at an unclean
 * open means every chunk is marked (full resync), never that none is.
 *
 * <p>Cost on the I/O path: an atomic increment and decrement of an in-flight counter and two
 * reads; a bit already set costs no I/O and no lock; nothing is allocated per I/O. Setting a
 * clear bit costs one image write and one fsync under this object's monitor (never under a row
 * lock of another chunk).
 */
public final class WriteIntentBitmap implements AutoCloseable {
    /** System property: milliseconds between clearing passes (default 2000); a chunk quiet for one is cleared. */
    public static final String QUIET_MILLIS_PROPERTY = "evasan.raid.bitmap.quietMillis";
    private static final Logger LOG = Logger.getLogger(WriteIntentBitmap.class.getName());
    private static final int SLOTS = 4096;

    private final Path path;
    private final UUID poolId;
    private final int groupId;
    private final int bits;
    private final FileChannel channel;
    private final BooleanSupplier forceData;
    /** Bits durable in the file (set only after the image holding them was forced); changed under the monitor. */
    private final AtomicLongArray durable;
    /** Bits of chunks written since the last clearing pass. */
    private final AtomicLongArray touched;
    /** Writes in flight per bit, hashed into SLOTS counters (a collision only delays clearing). */
    private final AtomicIntegerArray inflight = new AtomicIntegerArray(SLOTS);
    private final long[] words;
    private final long[] candidates;
    private final ByteBuffer image;
    private final Object clearing = new Object();
    private final Image found;
    private final String problem;
    private long sequence;
    /** True once this instance wrote an image: from then on the file's sequence must be its own. */
    private boolean written;
    private volatile boolean clearingAllowed;
    private volatile boolean closed;
    private Thread cleaner;

    private WriteIntentBitmap(Path path, UUID poolId, int groupId, int bits, FileChannel channel,
            BooleanSupplier forceData, Image found, String problem, long sequence) {
        this.path = path;
        this.poolId = poolId;
        this.groupId = groupId;
        this.bits = bits;
        this.channel = channel;
        this.forceData = forceData;
        this.found = found;
        this.problem = problem;
        this.sequence = sequence;
        this.durable = new AtomicLongArray(bits / 64);
        this.touched = new AtomicLongArray(bits / 64);
        this.words = new long[bits / 64];
        this.candidates = new long[bits / 64];
        this.image = ByteBuffer.allocateDirect(BitmapDescriptor.imageBytes(bits)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Opens (creating it if missing) the bitmap file of group {@code groupId}. After an unclean stop
     * ({@code unclean}) the marks found are kept, in memory and in the file, until
     * {@link #allowClearing} (the resync is done); an unreadable or torn file then marks every
     * chunk. After a clean stop the bitmap starts empty. {@code forceData} forces the group's
     * drives (false if that failed) before a clearing pass clears anything.
     */
    public static WriteIntentBitmap open(ChannelOpener files, Path path, UUID poolId, int groupId, boolean unclean,
            BooleanSupplier forceData) {
        FileChannel ch;
        Image img = null;
        String why = null;
        try {
            ch = files.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot open write-intent bitmap " + path + ": "
                    + e.getMessage(), e);
        }
        try {
            long size = ch.size();
            if (size == 0) {
                why = "write-intent bitmap " + path + " is missing or empty";
            } else {
                ByteBuffer b = ByteBuffer.allocate((int) Math.min(size, BitmapDescriptor.imageBytes(BitmapDescriptor.MAX_BITS)));
                while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
                    // read the whole image
                }
                b.flip();
                img = BitmapDescriptor.decode(b, poolId, groupId);
            }
        } catch (IOException | StorageException e) {
            why = e instanceof StorageException ? e.getMessage() : "write-intent bitmap " + path
                    + " cannot be read: " + e.getMessage();
            img = null;
        }
        int bits = img == null ? BitmapDescriptor.DEFAULT_BITS : img.bits();
        WriteIntentBitmap w = new WriteIntentBitmap(path, poolId, groupId, bits, ch, forceData,
                unclean ? img : null, unclean ? why : null, img == null ? 0 : img.sequence());
        try {
            if (unclean) {
                for (int i = 0; i < bits / 64; i++) {
                    w.durable.set(i, img == null ? -1L : img.words()[i]);
                }
            } else {
                w.clearingAllowed = true;
            }
            synchronized (w) {
                w.writeImage(0, 0);
            }
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
        return w;
    }

    /**
     * The marks found at an unclean open: null if the open was clean, or if the file was missing,
     * torn or unreadable ({@link #problem()} says why) so that every chunk must be resynchronised.
     */
    public Image found() {
        return found;
    }

    /** Why the marks could not be used at an unclean open, or null. */
    public String problem() {
        return problem;
    }

    public Path path() {
        return path;
    }

    /** Bits in the bitmap. */
    public int bits() {
        return bits;
    }

    /** Bits set in memory now (durable in the file). */
    public int marked() {
        int n = 0;
        for (int i = 0; i < durable.length(); i++) {
            n += Long.bitCount(durable.get(i));
        }
        return n;
    }

    /** Whether RStore {@code rsdId}'s bit is set (durably). */
    public boolean isMarked(long rsdId) {
        int i = BitmapDescriptor.bitOf(rsdId, bits);
        return (durable.get(i >>> 6) & (1L << i)) != 0;
    }

    /** Lets clearing passes clear bits: after the resync of an unclean open has run. */
    public void allowClearing() {
        clearingAllowed = true;
    }

    /**
     * Before a write to RStore {@code rsdId}: counts it in flight and, if its bit is not durable
     * yet, writes and forces an image with the bit set. Pair with {@link #end} in a finally block.
     */
    public void begin(long rsdId) {
        int i = BitmapDescriptor.bitOf(rsdId, bits);
        int w = i >>> 6;
        long m = 1L << i;
        inflight.incrementAndGet(i & (SLOTS - 1));
        try {
            if ((touched.get(w) & m) == 0) {
                long t;
                do {
                    t = touched.get(w);
                } while ((t & m) == 0 && !touched.compareAndSet(w, t, t | m));
            }
            if ((durable.get(w) & m) == 0) {
                setDurably(w, m);
            }
        } catch (RuntimeException | Error e) {
            inflight.decrementAndGet(i & (SLOTS - 1));
            throw e;
        }
    }

    /** After the write that {@link #begin} announced (returned or failed). */
    public void end(long rsdId) {
        inflight.decrementAndGet(BitmapDescriptor.bitOf(rsdId, bits) & (SLOTS - 1));
    }

    private synchronized void setDurably(int w, long m) {
        if ((durable.get(w) & m) != 0) {
            return;
        }
        writeImage(w, m);
        orBit(w, m);
    }

    private void orBit(int w, long m) {
        long d;
        do {
            d = durable.get(w);
        } while ((d & m) == 0 && !durable.compareAndSet(w, d, d | m));
    }

    /** Writes and forces the image of {@code durable} plus bit {@code m} of word {@code w}. Monitor held. */
    private void writeImage(int w, long m) {
        if (closed) {
            throw new StorageException(ErrorCode.INVALID_STATE, "write-intent bitmap " + path + " is closed");
        }
        if (written) {
            checkOwned();
        }
        for (int i = 0; i < words.length; i++) {
            words[i] = durable.get(i);
        }
        words[w] |= m;
        sequence++;
        BitmapDescriptor.encode(image, sequence, poolId, groupId, bits, words);
        image.clear();
        try {
            while (image.hasRemaining()) {
                channel.write(image, image.position());
            }
            channel.force(false);
            written = true;
        } catch (IOException e) {
            throw new StorageException(ErrorCode.WRITE_FAULT, "write-intent bitmap " + path + " could not be written: "
                    + e.getMessage(), e);
        }
    }

    /**
     * Refuses to write over an image this object did not write last (another instance opened the
     * pool since, e.g. a reopen after an in-process crash): its bits would be lost. Monitor held.
     */
    private void checkOwned() {
        ByteBuffer seq = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        try {
            while (seq.hasRemaining() && channel.read(seq, BitmapDescriptor.SEQUENCE_OFFSET + seq.position()) > 0) {
                // read the sequence number
            }
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "write-intent bitmap " + path + " cannot be read: "
                    + e.getMessage(), e);
        }
        long onDisk = seq.getLong(0);
        if (onDisk != sequence) {
            closed = true;
            throw new StorageException(ErrorCode.INVALID_STATE, "write-intent bitmap " + path + " holds sequence "
                    + onDisk + ", not this instance's " + sequence + ": another instance owns it now");
        }
    }

    /**
     * One clearing pass: bits of chunks with no write in flight and none since the previous pass
     * are cleared, after the drives were forced, in one image rewrite. Returns the bits cleared
     * (0 while clearing is not allowed yet, or if forcing the drives failed).
     */
    public int clearQuiet() {
        return clear(true);
    }

    private int clear(boolean quietOnly) {
        synchronized (clearing) {
            if (!clearingAllowed || closed) {
                return 0;
            }
            boolean any = false;
            for (int w = 0; w < candidates.length; w++) {
                long t = quietOnly ? touched.getAndSet(w, 0) : 0;
                long c = durable.get(w) & ~t;
                for (long r = c; r != 0; r &= r - 1) {
                    int i = (w << 6) | Long.numberOfTrailingZeros(r);
                    if (inflight.get(i & (SLOTS - 1)) != 0) {
                        c &= ~(1L << i);
                    }
                }
                candidates[w] = c;
                any |= c != 0;
            }
            if (!any || !forceData.getAsBoolean()) {
                return 0;
            }
            synchronized (this) {
                int cleared = 0;
                for (int w = 0; w < candidates.length; w++) {
                    for (long r = candidates[w]; r != 0; r &= r - 1) {
                        int i = (w << 6) | Long.numberOfTrailingZeros(r);
                        long m = 1L << i;
                        long d;
                        do {
                            d = durable.get(w);
                        } while (!durable.compareAndSet(w, d, d & ~m));
                        if (inflight.get(i & (SLOTS - 1)) != 0 || (quietOnly && (touched.get(w) & m) != 0)) {
                            orBit(w, m); // a write began meanwhile: it relies on the bit
                        } else {
                            cleared++;
                        }
                    }
                }
                if (cleared > 0) {
                    writeImage(0, 0);
                }
                return cleared;
            }
        }
    }

    /**
     * Starts the background clearing thread {@code bitmap-<group>}: a pass every
     * {@code quietMillis}. It stops at {@link #close} or at the first failure (bits then stay set:
     * safe, a later resync does more than needed).
     */
    public synchronized void startClearing(String groupName, long quietMillis) {
        if (cleaner != null || closed) {
            return;
        }
        Thread t = new Thread(() -> {
            try {
                while (!closed) {
                    Thread.sleep(quietMillis);
                    clearQuiet();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Throwable e) {
                if (!closed) {
                    LOG.warning("write-intent bitmap " + path + ": clearing stopped, bits stay set: " + e);
                }
            }
        }, "bitmap-" + groupName);
        t.setDaemon(true);
        cleaner = t;
        t.start();
    }

    /**
     * At a clean stop, with no writes in flight: forces the drives and clears every bit. Returns
     * whether the bitmap is now empty in the file (false: the resync of an unclean open has not
     * run, a write is still in flight, or forcing or writing failed).
     */
    public boolean clearAll() {
        try {
            clear(false);
        } catch (StorageException e) {
            return false;
        }
        return clearingAllowed && marked() == 0;
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            t = cleaner;
        }
        if (t != null) {
            t.interrupt();
        }
        try {
            channel.close();
        } catch (IOException e) {
            // nothing to keep: every image was forced when written
        }
    }

    /** Default clearing interval, {@link #QUIET_MILLIS_PROPERTY}. */
    public static long quietMillis() {
        return Long.getLong(QUIET_MILLIS_PROPERTY, 2000L);
    }
}
