package io.evasan.raid.powercut;

import io.evasan.raid.PoolIo;
import io.evasan.raid.drive.Drive;
import io.evasan.raid.drive.DriveLabel;
import io.evasan.raid.drive.DriveOpener;
import io.evasan.raid.io.ChannelOpener;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One simulated power domain: every drive ({@link PowerCutDrive}) and metadata file
 * ({@link PowerCutChannel}) opened through {@link #poolIo()} / {@link #files()} keeps its unforced
 * writes in a {@link VolatileLayer}. {@link #cutAfter(long)} arms a cut at the n-th write or force
 * from now; {@link #cut()} cuts at once. At the cut every layer drops, tears or reorders its
 * unforced writes (seeded), the underlying files are closed, and every later I/O throws
 * {@link PowerCutError}. "Power back on" is reopening over the same files with the ordinary
 * openers (or a new PowerCut).
 *
 * <p>{@code kill -9} keeps the page cache, so it proves nothing about these claims; this does.
 */
public final class PowerCut {
    /** System property: iterations of each power-cut test (short by default for CI). */
    public static final String ITERATIONS = "evasan.powercut.iterations";
    /** System property: the base seed; a test's iteration i uses seed + i. */
    public static final String SEED = "evasan.seed";

    private final long seed;
    private final Random rnd;
    private final List<Runnable> closers = new ArrayList<>();
    private final List<VolatileLayer> layers = new ArrayList<>();
    /** What happens to every unforced write at the cut, for targeted scenarios; null = seeded random. */
    public enum Outcome { DROP, APPLY, TEAR_KEEP_HEAD, TEAR_KEEP_TAIL }

    private Outcome outcome;
    private long countdown = -1;
    private String matching;
    private long ios;
    private boolean cut;
    private final List<String> log = new ArrayList<>();

    public PowerCut(long seed) {
        this.seed = seed;
        this.rnd = new Random(seed);
    }

    public static int iterations(int ciDefault) {
        return Integer.getInteger(ITERATIONS, ciDefault);
    }

    /** The base seed: {@code -Devasan.seed}, else random; printed so that a failure can be replayed. */
    public static long baseSeed(String test) {
        long s = Long.getLong(SEED, new Random().nextLong());
        System.out.println("[powercut] " + test + " base seed " + s + " (replay: -D" + SEED + "=" + s + " -D"
                + ITERATIONS + "=N)");
        return s;
    }

    /** Forces the fate of every unforced write at the cut (targeted scenarios). */
    public synchronized PowerCut outcome(Outcome o) {
        this.outcome = o;
        return this;
    }

    public long seed() {
        return seed;
    }

    public Random random() {
        return rnd;
    }

    public synchronized boolean isCut() {
        return cut;
    }

    /** Write and force calls seen so far (to pick a cut point inside a workload). */
    public synchronized long ioCount() {
        return ios;
    }

    /** Arms the cut to happen at the {@code n}-th write or force from now (n >= 1). */
    public synchronized void cutAfter(long n) {
        countdown = n;
        matching = null;
    }

    /**
     * Arms the cut at the {@code n}-th I/O from now whose description contains {@code what}
     * (e.g. {@code "force of"} and a file name): targeted windows.
     */
    public synchronized void cutAtMatching(String what, long n) {
        countdown = n;
        matching = what;
    }

    /** Cuts the power now. Idempotent. */
    public synchronized void cut() {
        if (cut) {
            return;
        }
        cut = true;
        for (VolatileLayer l : layers) {
            try {
                log.add(l.cut(rnd, outcome));
            } catch (RuntimeException e) {
                // a failed or pulled device: whatever its cache held is gone with it
                log.add("device unavailable at the cut (" + e.getMessage() + "): its cache is lost");
            }
        }
        for (Runnable c : closers) {
            try {
                c.run();
            } catch (RuntimeException ignored) {
                // the device is gone anyway
            }
        }
    }

    public synchronized List<String> report() {
        return List.copyOf(log);
    }

    synchronized void register(VolatileLayer layer, Runnable closer) {
        layers.add(layer);
        closers.add(closer);
    }

    /** Called before every write and force of a member device. */
    synchronized void tick(String what) {
        if (cut) {
            throw new PowerCutError("power is off (" + what + ")");
        }
        ios++;
        if (countdown > 0 && (matching == null || what.contains(matching)) && --countdown == 0) {
            cut();
            throw new PowerCutError("power cut at " + what + " (seed " + seed + ")");
        }
    }

    synchronized void checkOn(String what) {
        if (cut) {
            throw new PowerCutError("power is off (" + what + ")");
        }
    }

    /** Opens drives as {@link PowerCutDrive}s over {@link DriveOpener#FILES}. */
    public DriveOpener drives() {
        PowerCut pc = this;
        return new DriveOpener() {
            @Override
            public Drive open(Path path, int index, DriveLabel expected, Drive.ErrorListener listener) {
                return new PowerCutDrive(pc, DriveOpener.FILES.open(path, index, expected, listener));
            }

            @Override
            public Drive format(Path path, int index, long sizeBytes, DriveLabel label, Drive.ErrorListener listener) {
                return new PowerCutDrive(pc, DriveOpener.FILES.format(path, index, sizeBytes, label, listener));
            }
        };
    }

    /** Opens files as {@link PowerCutChannel}s. */
    public ChannelOpener files() {
        PowerCut pc = this;
        return new ChannelOpener() {
            @Override
            public FileChannel open(Path path, OpenOption... options) throws IOException {
                return new PowerCutChannel(pc, path, FileChannel.open(path, options));
            }
        };
    }

    public PoolIo poolIo() {
        return new PoolIo(drives(), files());
    }
}
