package io.evasan.nsc;

import io.evasan.mld.Mld;
import io.evasan.nsc.cache.CacheConfig;
import io.evasan.scsi.target.impl.DiskTarget;
import io.evasan.sharing.AllocationPolicy;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.nio.file.Path;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Settings of one {@link Controller}. Builder-style; the controller reads it once at open.
 *
 * <p>Defaults: LUN table in the file {@code <stateDirectory>/luns.tbl}, non-volatile cache in {@code <stateDirectory>/cache.log} with the cache engineer's
 * {@link CacheConfig} defaults (64 x 1 MiB), pool identity "evasan", marker snapshots
 * {@link AllocationPolicy#ON_DEMAND}, no rebuild / initialization / consistency check reported,
 * {@link DiskTarget#DEFAULT_WORKERS} SCSI workers, a private {@link SimpleMeterRegistry}.
 */
public final class ControllerConfig {
    private final Path stateDirectory;
    private String name = "nsc0";
    private String poolIdentity = "evasan";
    private CacheConfig cache = new CacheConfig();
    private io.evasan.nsc.cache.CacheFactory cacheFactory;
    private io.evasan.nsc.cell.CommandLog commandLog;
    private io.evasan.scsi.alua.TargetPortGroups targetPortGroups;
    private boolean nonVolatileCache = true;
    private AllocationPolicy snapshotPolicy = AllocationPolicy.ON_DEMAND;
    private BooleanSupplier rebuildInProgress = () -> false;
    private BooleanSupplier initializationInProgress = () -> false;
    private BooleanSupplier consistencyCheckInProgress = () -> false;
    private MeterRegistry meterRegistry;
    private int targetWorkers = DiskTarget.DEFAULT_WORKERS;
    private int targetQueue = DiskTarget.DEFAULT_QUEUE;
    private Mld lunCatalog;
    private int physicalBlockExponent = 3;

    /** @param stateDirectory where the LUN table ({@code luns.tbl}) and the NV cache log live */
    public ControllerConfig(Path stateDirectory) {
        this.stateDirectory = Objects.requireNonNull(stateDirectory, "stateDirectory");
    }

    /** Controller name (metrics tag of its cache). */
    public ControllerConfig name(String v) { this.name = Objects.requireNonNull(v); return this; }
    /** Identity of the pool (e.g. its UUID): with each LUN's uid it yields the LUN's NAA identifier. */
    public ControllerConfig poolIdentity(String v) { this.poolIdentity = Objects.requireNonNull(v); return this; }
    /** Cache geometry and destage settings; its nonVolatileLog, if set, overrides the default path. */
    public ControllerConfig cache(CacheConfig v) { this.cache = Objects.requireNonNull(v); return this; }
    /**
     * Who opens the write cache (default null: one {@code WriteBackCache} from {@link #cache()}, its log in
     * {@code <stateDirectory>/cache.log}); a controller pair passes its own (both controllers' caches behind one router).
     */
    public ControllerConfig cacheFactory(io.evasan.nsc.cache.CacheFactory v) { this.cacheFactory = v; return this; }
    public io.evasan.nsc.cache.CacheFactory cacheFactory() { return cacheFactory; }
    /** The cell's command log this controller appends to (default null: a log of its own). */
    public ControllerConfig commandLog(io.evasan.nsc.cell.CommandLog v) { this.commandLog = v; return this; }
    public io.evasan.nsc.cell.CommandLog commandLog() { return commandLog; }
    /** The ALUA target port groups the SCSI target reports (default null: no ALUA, TPGS 0). */
    public ControllerConfig targetPortGroups(io.evasan.scsi.alua.TargetPortGroups v) { this.targetPortGroups = v; return this; }
    public io.evasan.scsi.alua.TargetPortGroups targetPortGroups() { return targetPortGroups; }
    /** False: volatile cache (tests, benchmarks); acknowledged writes then do not survive a crash. */
    public ControllerConfig nonVolatileCache(boolean v) { this.nonVolatileCache = v; return this; }
    /** Space policy of snapshots and snapclones taken through markers. */
    public ControllerConfig snapshotPolicy(AllocationPolicy v) { this.snapshotPolicy = Objects.requireNonNull(v); return this; }
    /** True while the pool rebuilds (seed 003 table 2: 09/81/06). */
    public ControllerConfig rebuildInProgress(BooleanSupplier v) { this.rebuildInProgress = Objects.requireNonNull(v); return this; }
    /** True while the pool initializes (table 2: 09/81/0C). */
    public ControllerConfig initializationInProgress(BooleanSupplier v) { this.initializationInProgress = Objects.requireNonNull(v); return this; }
    /** True while a consistency check / parity resync runs (table 2: 09/81/0D). */
    public ControllerConfig consistencyCheckInProgress(BooleanSupplier v) { this.consistencyCheckInProgress = Objects.requireNonNull(v); return this; }
    public ControllerConfig meterRegistry(MeterRegistry v) { this.meterRegistry = v; return this; }
    /**
     * Keep the LUN table in the pool's mirrored MLD (record {@code nsc.luns/<name>}; pass
     * {@code mapping.mld()}) instead of the file {@code <stateDirectory>/luns.tbl}.
     */
    public ControllerConfig lunCatalog(Mld v) { this.lunCatalog = v; return this; }
    public ControllerConfig targetWorkers(int v) { this.targetWorkers = v; return this; }
    /**
     * LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT the LUNs report in READ CAPACITY(16): 3 (default)
     * = 4 KiB physical blocks, the alignment hosts should use; 0 = 512-byte physical blocks, for hosts
     * and tools that assume 512n geometry.
     */
    public ControllerConfig physicalBlockExponent(int v) {
        if (v != 0 && v != 3) {
            throw new IllegalArgumentException("physical block exponent must be 0 (512 B) or 3 (4 KiB): " + v);
        }
        this.physicalBlockExponent = v;
        return this;
    }
    public ControllerConfig targetQueue(int v) { this.targetQueue = v; return this; }

    public Path stateDirectory() { return stateDirectory; }
    public String name() { return name; }
    public String poolIdentity() { return poolIdentity; }
    public CacheConfig cache() { return cache; }
    public boolean nonVolatileCache() { return nonVolatileCache; }
    public AllocationPolicy snapshotPolicy() { return snapshotPolicy; }
    public BooleanSupplier rebuildInProgress() { return rebuildInProgress; }
    public BooleanSupplier initializationInProgress() { return initializationInProgress; }
    public BooleanSupplier consistencyCheckInProgress() { return consistencyCheckInProgress; }
    public MeterRegistry meterRegistry() { return meterRegistry != null ? meterRegistry : new SimpleMeterRegistry(); }
    public Mld lunCatalog() { return lunCatalog; }
    public int targetWorkers() { return targetWorkers; }
    public int targetQueue() { return targetQueue; }
    public int physicalBlockExponent() { return physicalBlockExponent; }
}
