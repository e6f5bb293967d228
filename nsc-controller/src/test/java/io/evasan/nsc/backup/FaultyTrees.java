package io.evasan.nsc.backup;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.sharing.SharingTrees;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/**
 * SharingTrees (a dynamic proxy, so it follows the interface as it grows) that can be told to fail
 * reads of one disk with UNRECOVERABLE_READ, as when every copy of an RStore is lost.
 */
final class FaultyTrees {
    volatile long failReadsOf = -1;
    final SharingTrees trees;

    FaultyTrees(SharingTrees delegate) {
        this.trees = (SharingTrees) Proxy.newProxyInstance(SharingTrees.class.getClassLoader(),
                new Class<?>[]{SharingTrees.class}, (proxy, m, args) -> {
                    if (m.getName().equals("read") && args != null && args.length == 5 && (long) args[0] == failReadsOf) {
                        throw new StorageException(ErrorCode.UNRECOVERABLE_READ, "injected: every copy of disk "
                                + args[0] + " lost");
                    }
                    try {
                        return m.invoke(delegate, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
