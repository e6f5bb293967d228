package io.evasan.nsc.cache.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.cache.CacheConfig;
import io.evasan.nsc.cache.CacheLogDescriptor;
import io.evasan.nsc.cache.CacheMessageDescriptor;
import io.evasan.nsc.cache.DestageTarget;
import io.evasan.nsc.marker.SnapshotAction;
import io.evasan.nsc.marker.SnapshotRequest;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static io.evasan.nsc.cache.CacheLogDescriptor.PAYLOAD_OFFSET;
import static io.evasan.nsc.cache.CacheLogDescriptor.offsetOf;
import static io.evasan.nsc.cache.CacheLogDescriptor.segmentOf;

/**
 * Opening a {@link WriteBackCache}'s non-volatile log: every LIVE record is replayed into the backend
 * in sequence order (writes written, markers' snapshots taken), the backend is flushed and the log
 * trimmed (moved out of {@code WriteBackCache}). A log with nothing live costs no flush of the backend, and
 * one formatted as it opened (new) no trim: a takeover opens two new logs.
 *
 * <p>Invariants: a backend failure while replaying a write propagates and leaves the log untouched
 * (nothing acknowledged is dropped), except a write whose RStore lost the data ({@link #lostAtReplay}),
 * which is given up after {@link CacheConfig#maxDestageAttempts} attempts, reported by
 * {@link DestageTarget#destageLost} and listed in the failures; a failing snapshot is listed there
 * and the writes are replayed either way. Runs before the cache's threads start.
 */
final class CacheLogReplay {
    private static final System.Logger LOG = System.getLogger(WriteBackCache.class.getName());

    private CacheLogReplay() {
    }

    static SegmentStore openAndRecover(CacheConfig config, DestageTarget target, SnapshotAction action,
                                       long[] counts, List<String> failures, java.util.Set<Integer> lostLuns) {
        SegmentStore s = SegmentStore.openLog(config.nvLogMedium(), config.nonVolatileLog(), config.segmentSize(), config.segmentCount(),
                config.forceOnAck());
        List<SegmentStore.Recovered> live;
        try {
            live = s.scanLive();
            for (SegmentStore.Recovered r : live) {
                ByteBuffer seg = s.segment(segmentOf(r.address()));
                int rec = offsetOf(r.address());
                if (r.type() == CacheLogDescriptor.TYPE_WRITE) {
                    ByteBuffer view = seg.duplicate();
                    int len = CacheLogDescriptor.payloadLength(seg, rec);
                    replayWrite(config, target, CacheLogDescriptor.lunId(seg, rec), CacheLogDescriptor.byteOffset(seg, rec),
                            view, rec + PAYLOAD_OFFSET, len, failures, lostLuns);
                    counts[0]++;
                } else {
                    SnapshotRequest req = CacheMessageDescriptor.getMarkerPayload(seg, rec + PAYLOAD_OFFSET,
                            seg.getInt(rec + CacheLogDescriptor.LUN_COUNT_OFFSET),
                            seg.getInt(rec + CacheLogDescriptor.KIND_OFFSET),
                            seg.getLong(rec + CacheLogDescriptor.REQUEST_ID_OFFSET));
                    try {
                        action.takeSnapshot(req);
                        counts[1]++;
                    } catch (RuntimeException e) {
                        // the writes are replayed either way; the failure is reported by recoveryFailures()
                        failures.add(req + ": " + e);
                    }
                }
            }
            if (!live.isEmpty()) {
                target.flushAll();   // what was replayed is durable before the log forgets it
            }
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        if (!live.isEmpty() || !s.formattedAtOpen()) {
            s.trim();
        }
        if (s.segmentSize() != config.segmentSize() || s.segmentCount() != config.segmentCount()) {
            s.close();
            try {
                SegmentStore.delete(config.nonVolatileLog());
            } catch (java.io.IOException e) {
                throw new StorageException(ErrorCode.IO_ERROR, "cannot re-create cache log "
                        + config.nonVolatileLog() + ": " + e.getMessage(), e);
            }
            s = SegmentStore.openLog(config.nvLogMedium(), config.nonVolatileLog(), config.segmentSize(), config.segmentCount(),
                    config.forceOnAck());
        }
        return s;
    }

    /**
     * Replays one logged write. A failure whose code says the backend's RStore lost the data
     * ({@link #lostAtReplay}) is retried {@link CacheConfig#maxDestageAttempts} times and then given up
     * as at run time (reported by {@link DestageTarget#destageLost} and in {@link WriteBackCache#recoveryFailures()}),
     * so one dead RStore does not keep the whole controller from starting; any other failure propagates
     * and leaves the log untouched.
     */
    private static void replayWrite(CacheConfig config, DestageTarget target, int lun, long off, ByteBuffer view, int pos,
                                    int len, List<String> failures, java.util.Set<Integer> lostLuns) {
        long backoff = config.retryBackoffMillis();
        for (int attempt = 1; ; attempt++) {
            view.limit(pos + len).position(pos);
            try {
                target.write(lun, off, view);
                return;
            } catch (StorageException e) {
                if (!lostAtReplay(e.code())) {
                    throw e;
                }
                if (attempt >= config.maxDestageAttempts()) {
                    target.destageLost(lun, off, len, e);
                    lostLuns.add(lun);
                    failures.add("LUN " + lun + " write [" + off + ", " + (off + len) + ") lost at replay: " + e);
                    LOG.log(System.Logger.Level.ERROR, "LUN " + lun + ": logged write [" + off + ", " + (off + len)
                            + ") is lost (replay failed " + attempt + " times): " + e.getMessage());
                    return;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(backoff));
                backoff = Math.min(config.maxRetryBackoffMillis(), backoff * 2);
            }
        }
    }

    /** Replay gives a write up only when its RStore lost the data (never for an unknown LUN or no space). */
    private static boolean lostAtReplay(ErrorCode code) {
        switch (code) {
            case WRITE_FAULT:
            case UNRECOVERABLE_READ:
            case DRIVE_FAILED:
            case INSUFFICIENT_DRIVES:
            case IO_ERROR:
                return true;
            default:
                return false;
        }
    }
}
