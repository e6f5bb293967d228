package io.evasan.nsc.cell.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.Controller;
import io.evasan.nsc.api.CacheView;
import io.evasan.nsc.api.Controllers;
import io.evasan.nsc.api.DrillReport;
import io.evasan.nsc.api.DrillRequest;
import io.evasan.nsc.api.Drives;
import io.evasan.nsc.api.Records;
import io.evasan.nsc.cell.drill.ControllerFaults;
import io.evasan.nsc.cell.drill.DrillHistory;
import io.evasan.nsc.cell.drill.DrillRunner;
import io.evasan.nsc.api.FailoverMode;
import io.evasan.nsc.api.LunOwnership;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.api.NscState;
import io.evasan.nsc.api.NscView;
import io.evasan.nsc.cache.impl.WriteBackCache;
import io.evasan.nsc.cell.pair.ControllerPair;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.SnapshotRecord;

import java.util.List;
import java.util.Objects;

/**
 * The {@link Controllers} area of the cell API over a controller pair, or over a single controller (which answers
 * its one view and refuses the pair's commands with INVALID_STATE). Units are named as hosts' admins name them
 * (LUN or snapshot names) and resolved to unit ids here.
 */
final class CellControllers implements Controllers {
    private final Controller controller;
    private final ControllerPair pair;
    private final DrillRunner drills;

    /**
     * {@code records}: where the drill history is kept (null: in memory); {@code faults}: how a controller drill acts
     * (null: on the pair); {@code drives}: what a drive pull pulls.
     */
    CellControllers(Controller controller, ControllerPair pair, ControllerFaults faults, Records records,
                    Drives drives) {
        this.controller = Objects.requireNonNull(controller, "controller");
        this.pair = pair;
        this.drills = new DrillRunner(controller, pair, faults, drives, new DrillHistory(records));
    }

    @Override
    public CacheView cache() {
        if (pair == null) {
            WriteBackCache c = controller.cache();
            return new CacheView(c.dirtyBytes(), c.capacityBytes(), c.stats().destagedBytes(), c.mirrorLost());
        }
        return pair.cacheView();
    }

    @Override
    public List<NscView> nscs() {
        if (pair == null) {
            WriteBackCache c = controller.cache();
            return List.of(new NscView(NscId.A, NscState.ONLINE, List.of(), c.mirrorLost(), c.dirtyBytes(), -1, 0, "none"));
        }
        return pair.nscs();
    }

    private ControllerPair pair() {
        if (pair == null) {
            throw new StorageException(ErrorCode.INVALID_STATE, "this cell has a single controller: no partner to "
                    + "own, move or take over units");
        }
        return pair;
    }

    private int unitId(String unit) {
        if (unit == null || unit.isEmpty()) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "unit: a LUN or snapshot name is required");
        }
        for (LunRecord r : controller.listLuns()) {
            if (r.name().equals(unit)) {
                return r.id();
            }
        }
        for (SnapshotRecord s : controller.listSnapshots()) {
            if (s.name().equals(unit)) {
                return s.id();
            }
        }
        throw new StorageException(ErrorCode.NOT_FOUND, "no LUN or snapshot named '" + unit + "'");
    }

    @Override
    public LunOwnership ownership(String unit) {
        int id = unitId(unit);
        return pair().ownership(id);
    }

    @Override
    public LunOwnership setOwnership(String unit, NscId preferred, FailoverMode mode) {
        int id = unitId(unit);
        if (mode == null) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "mode: one of NO_PREFERENCE, FAILOVER_ONLY, "
                    + "FAILOVER_FAILBACK");
        }
        if (preferred == null && mode != FailoverMode.NO_PREFERENCE) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "preferred: mode " + mode + " needs a preferred "
                    + "controller (A or B)");
        }
        return pair().setPreference(id, preferred, mode);
    }

    @Override
    public LunOwnership move(String unit, NscId to) {
        int id = unitId(unit);
        if (to == null) {
            throw new StorageException(ErrorCode.INVALID_ARGUMENT, "to: A or B");
        }
        pair().move(id, to);
        return pair.ownership(id);
    }

    @Override
    public DrillReport drill(DrillRequest request) {
        return drills.run(request);
    }

    @Override
    public void act(long id) {
        drills.act(id);
    }

    @Override
    public List<Integer> restart(NscId target) {
        return drills.restart(target);
    }

    @Override
    public List<DrillReport> drills() {
        return drills.drills();
    }
}
