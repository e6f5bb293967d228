package io.evasan.nsc.cache;

import io.evasan.nsc.marker.SnapshotAction;

/**
 * Opens the write cache a controller's services call, over the controller's destage target and snapshot action.
 * The default opens one {@code WriteBackCache}; a controller pair opens one cache per controller behind a router
 * ({@code cell.pair.ControllerPair#open}). Whatever it returns replays its non-volatile log before returning.
 */
@FunctionalInterface
public interface CacheFactory {
    WriteCache open(DestageTarget target, SnapshotAction action);
}
