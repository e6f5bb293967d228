package io.evasan.nsc.cache;

import java.nio.file.Path;

/**
 * Settings of one write-back cache. Mutable builder-style object; the cache copies what it needs at
 * construction.
 *
 * <p>Invariants checked by {@link #validate()}: segment size a multiple of 4096 between 64 KiB and
 * 1 GiB, 4 to {@link CacheLogDescriptor#MAX_SEGMENTS} segments, at least one worker, entries
 * >= 16, mirror window >= 1, non-negative rate, positive retry backoff not above its maximum, at least one destage attempt.
 */
public final class CacheConfig {
    private int segmentSize = 1 << 20;
    private int segmentCount = 64;
    private int maxEntries = 1 << 16;
    private int destageWorkers = 2;
    private long destageBytesPerSecond;
    private Path nonVolatileLog;
    private boolean forceOnAck;
    private NvLogMedium.Opener nvLogMedium = NvLogMedium::mapped;
    private MirrorChannel mirror;
    private int mirrorWindow = 256;
    private long retryBackoffMillis = 20;
    private long maxRetryBackoffMillis = 1000;
    private int maxDestageAttempts = 8;

    /** Bytes per log segment (default 1 MiB); one write chunk is at most a segment minus headers. */
    public CacheConfig segmentSize(int v) { this.segmentSize = v; return this; }
    /** Segments (default 64): capacity = segmentSize * segmentCount. */
    public CacheConfig segmentCount(int v) { this.segmentCount = v; return this; }
    /** Most cached write chunks plus markers at once (default 65536). */
    public CacheConfig maxEntries(int v) { this.maxEntries = v; return this; }
    /** Destage worker threads (default 2). */
    public CacheConfig destageWorkers(int v) { this.destageWorkers = v; return this; }
    /** Destage rate limit in bytes per second across all workers; 0 = unlimited (default). */
    public CacheConfig destageBytesPerSecond(long v) { this.destageBytesPerSecond = v; return this; }
    /**
     * Non-volatile mode: keep the cache in this memory-mapped log file (created if absent; replayed
     * into the backend when it holds records). Null (default) = volatile cache in direct memory.
     */
    public CacheConfig nonVolatileLog(Path v) { this.nonVolatileLog = v; return this; }
    /**
     * Non-volatile mode only: power-loss safety. Each record is msync'd before it is acknowledged,
     * each destage flushes the backend LUN before the record is marked done, and the done mark is
     * msync'd before any newer write to the same sectors may be destaged (~200 us per fsync on this
     * machine: see the benchmark). Off (default): acknowledged writes survive kill -9 of the process
     * (the mapped pages live in the OS page cache) but not a power cut.
     */
    public CacheConfig forceOnAck(boolean v) { this.forceOnAck = v; return this; }
    /** What backs {@link #nonVolatileLog}: the memory-mapped file (default); tests simulate a power cut. */
    public CacheConfig nvLogMedium(NvLogMedium.Opener v) { this.nvLogMedium = v; return this; }
    /** Partner mirror; null (default) = no partner, acknowledgement does not wait for one. */
    public CacheConfig mirror(MirrorChannel v) { this.mirror = v; return this; }
    /**
     * Most host write messages sent to the partner and not yet acknowledged (default 256). A write
     * that would exceed it waits outside the cache lock ({@link WriteCache#write}) or gets
     * {@link WriteCache#FULL} ({@link WriteCache#tryWrite}).
     */
    public CacheConfig mirrorWindow(int v) { this.mirrorWindow = v; return this; }
    /** Pause before retrying a destage that the backend failed (default 20 ms). */
    public CacheConfig retryBackoffMillis(long v) { this.retryBackoffMillis = v; return this; }
    /** The backoff doubles after each failed attempt of one write, up to this (default 1000 ms). */
    public CacheConfig maxRetryBackoffMillis(long v) { this.maxRetryBackoffMillis = v; return this; }
    /**
     * Attempts of one write (default 8) after which a failing destage is bounded: a failure that
     * loses the data ({@link DestageTarget#losesData}) gives the write up as lost, any other failure
     * keeps the write and retries it, but SYNCHRONIZE CACHE / FUA waiting for it fail (WRITE_FAULT).
     */
    public CacheConfig maxDestageAttempts(int v) { this.maxDestageAttempts = v; return this; }

    public int segmentSize() { return segmentSize; }
    public int segmentCount() { return segmentCount; }
    public int maxEntries() { return maxEntries; }
    public int destageWorkers() { return destageWorkers; }
    public long destageBytesPerSecond() { return destageBytesPerSecond; }
    public Path nonVolatileLog() { return nonVolatileLog; }
    public boolean forceOnAck() { return forceOnAck; }
    public NvLogMedium.Opener nvLogMedium() { return nvLogMedium; }
    public MirrorChannel mirror() { return mirror; }
    public int mirrorWindow() { return mirrorWindow; }
    public long retryBackoffMillis() { return retryBackoffMillis; }
    public long maxRetryBackoffMillis() { return maxRetryBackoffMillis; }
    public int maxDestageAttempts() { return maxDestageAttempts; }

    /** Throws IllegalArgumentException naming the first bad setting. */
    public CacheConfig validate() {
        if (segmentSize < (64 << 10) || segmentSize > (1 << 30) || segmentSize % 4096 != 0) {
            throw new IllegalArgumentException("segmentSize must be a multiple of 4096 in [64 KiB, 1 GiB]: " + segmentSize);
        }
        if (segmentCount < 4 || segmentCount > CacheLogDescriptor.MAX_SEGMENTS) {
            throw new IllegalArgumentException("segmentCount must be in [4, " + CacheLogDescriptor.MAX_SEGMENTS + "]: " + segmentCount);
        }
        if (maxEntries < 16) {
            throw new IllegalArgumentException("maxEntries must be >= 16: " + maxEntries);
        }
        if (destageWorkers < 1) {
            throw new IllegalArgumentException("destageWorkers must be >= 1: " + destageWorkers);
        }
        if (destageBytesPerSecond < 0) {
            throw new IllegalArgumentException("destageBytesPerSecond must be >= 0: " + destageBytesPerSecond);
        }
        if (mirrorWindow < 1) {
            throw new IllegalArgumentException("mirrorWindow must be >= 1: " + mirrorWindow);
        }
        if (retryBackoffMillis < 1) {
            throw new IllegalArgumentException("retryBackoffMillis must be >= 1: " + retryBackoffMillis);
        }
        if (maxRetryBackoffMillis < retryBackoffMillis) {
            throw new IllegalArgumentException("maxRetryBackoffMillis must be >= retryBackoffMillis: " + maxRetryBackoffMillis);
        }
        if (maxDestageAttempts < 1) {
            throw new IllegalArgumentException("maxDestageAttempts must be >= 1: " + maxDestageAttempts);
        }
        return this;
    }
}
