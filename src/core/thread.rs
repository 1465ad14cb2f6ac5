//! Threading: Jamie Zawinski's algorithm (jwz.org/doc/threading.html) over Message-ID,
//! References and In-Reply-To, with the subject fallback for messages whose references
//! were lost, producing display rows with their depth.
//!
//! Input and output are indices into the caller's envelope slice; nothing is cloned.

use super::envelope::Envelope;
use super::sort::{SortKey, base_subject, is_reply_subject};
use std::cmp::Ordering;
use std::collections::HashMap;

/// One line of the threaded list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadRow {
    /// Index into the envelope slice.
    pub index: usize,
    /// 0 for a thread root, 1 for its replies, and so on.
    pub depth: u16,
    /// True when the row is the last child of its parent (for tree drawing).
    pub last_child: bool,
}

/// Threads are at most this deep; deeper replies start a new thread.
const MAX_DEPTH: usize = 1000;

/// How many References entries of one message are followed.
const MAX_REFS: usize = 64;

#[derive(Default)]
struct Container {
    msg: Option<usize>,
    parent: Option<usize>,
    children: Vec<usize>,
}

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Containers, and message-IDs (borrowed from the envelopes) to containers.
struct Arena<'e> {
    nodes: Vec<Container>,
    by_id: FastMap<&'e str, usize>,
}

impl<'e> Arena<'e> {
    fn get_or_create(&mut self, id: &'e str) -> usize {
        if let Some(&n) = self.by_id.get(id) {
            return n;
        }
        let n = self.nodes.len();
        self.nodes.push(Container::default());
        self.by_id.insert(id, n);
        n
    }

    fn new_node(&mut self) -> usize {
        self.nodes.push(Container::default());
        self.nodes.len() - 1
    }

    /// True if `a` is `b` or an ancestor of `b`.
    fn is_ancestor(&self, a: usize, mut b: usize) -> bool {
        let mut steps = 0;
        loop {
            if a == b {
                return true;
            }
            match self.nodes[b].parent {
                Some(p) => b = p,
                None => return false,
            }
            steps += 1;
            if steps > MAX_DEPTH {
                // Too deep to check cheaply (the walk would make threading quadratic on
                // a long chain): refuse the link, the reply starts a thread of its own.
                return true;
            }
        }
    }

    fn unlink(&mut self, child: usize) {
        if let Some(p) = self.nodes[child].parent.take() {
            self.nodes[p].children.retain(|&c| c != child);
        }
    }

    fn link(&mut self, parent: usize, child: usize) {
        if self.is_ancestor(child, parent) {
            return;
        }
        self.unlink(child);
        self.nodes[child].parent = Some(parent);
        self.nodes[parent].children.push(child);
    }
}

/// Threads the envelopes at `subset` (indices into `envs`) and returns rows in display
/// order: threads ordered by `key` (descending when `reverse`), messages inside a thread
/// by date.
pub fn thread(envs: &[Envelope], subset: &[usize], key: SortKey, reverse: bool) -> Vec<ThreadRow> {
    let mut arena = Arena {
        nodes: Vec::with_capacity(subset.len() * 2),
        by_id: FastMap::default(),
    };
    arena.by_id.reserve(subset.len() * 2);

    // Step 1: build containers and link the reference chains.
    for &i in subset {
        let env = &envs[i];
        let own = if env.message_id.is_empty() {
            arena.new_node()
        } else {
            let n = arena.get_or_create(&env.message_id);
            if arena.nodes[n].msg.is_some() {
                arena.new_node() // duplicate Message-ID: keep both messages
            } else {
                n
            }
        };
        arena.nodes[own].msg = Some(i);

        let mut prev: Option<usize> = None;
        // Only the newest references matter for placement; a cap keeps hostile chains
        // from building a tree deep enough to exhaust the stack.
        let skip = env.refs().count().saturating_sub(MAX_REFS);
        let refs = env.refs().skip(skip);
        let irt = (!env.in_reply_to.is_empty()
            && env.refs().next_back() != Some(env.in_reply_to.as_str()))
        .then_some(env.in_reply_to.as_str());
        for r in refs.chain(irt) {
            if r == env.message_id {
                continue;
            }
            let n = arena.get_or_create(r);
            if let Some(p) = prev
                && arena.nodes[n].parent.is_none()
            {
                arena.link(p, n);
            }
            prev = Some(n);
        }
        match prev {
            Some(p) => arena.link(p, own),
            None => arena.unlink(own),
        }
    }

    // Step 2: the root set.
    let roots: Vec<usize> = (0..arena.nodes.len())
        .filter(|&n| arena.nodes[n].parent.is_none())
        .collect();

    // Step 4: prune empty containers.
    let mut roots = prune(&mut arena, &roots);

    // Step 5: group roots by base subject.
    roots = group_by_subject(&mut arena, roots, envs);

    // Sort siblings by date and roots by the requested key.
    let newest = |arena: &Arena, n: usize| newest_date(arena, n, envs);
    let mut keyed: Vec<(usize, i64)> = roots.iter().map(|&r| (r, newest(&arena, r))).collect();
    keyed.sort_by(|a, b| {
        let ord = match key {
            SortKey::Date | SortKey::ThreadActivity => a.1.cmp(&b.1),
            _ => match (first_msg(&arena, a.0), first_msg(&arena, b.0)) {
                (Some(x), Some(y)) => key.compare(&envs[x], &envs[y]),
                _ => Ordering::Equal,
            },
        };
        if reverse { ord.reverse() } else { ord }
    });

    let mut rows = Vec::with_capacity(envs.len());
    for (r, _) in keyed {
        emit(&arena, envs, r, &mut rows);
    }
    rows
}

/// JWZ step 4, without recursion (a long conversation is a deep tree): empty
/// containers are dropped and their children promoted (at the root only when there is
/// just one). Returns the new root set.
fn prune(arena: &mut Arena, roots: &[usize]) -> Vec<usize> {
    // Pre-order, then handle each node after all of its children (reverse order).
    let mut order = Vec::with_capacity(arena.nodes.len());
    let mut stack: Vec<usize> = roots.iter().rev().copied().collect();
    while let Some(n) = stack.pop() {
        order.push(n);
        stack.extend(arena.nodes[n].children.iter().rev().copied());
    }
    let mut is_root = vec![false; arena.nodes.len()];
    for &r in roots {
        is_root[r] = true;
    }
    // What each handled node leaves in its place: itself, its promoted children, or nothing.
    let mut replaced: Vec<Vec<usize>> = vec![Vec::new(); arena.nodes.len()];
    for &n in order.iter().rev() {
        let children = std::mem::take(&mut arena.nodes[n].children);
        let mut kept = Vec::with_capacity(children.len());
        for c in children {
            kept.append(&mut replaced[c]);
        }
        if arena.nodes[n].msg.is_none() && (kept.is_empty() || !is_root[n] || kept.len() == 1) {
            for &c in &kept {
                arena.nodes[c].parent = arena.nodes[n].parent;
            }
            replaced[n] = kept;
            continue;
        }
        for &c in &kept {
            arena.nodes[c].parent = Some(n);
        }
        arena.nodes[n].children = kept;
        replaced[n] = vec![n];
    }
    roots
        .iter()
        .flat_map(|&r| std::mem::take(&mut replaced[r]))
        .collect()
}

/// The first message in a subtree, depth first (iterative: trees can be deep).
fn first_msg(arena: &Arena, n: usize) -> Option<usize> {
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        if let Some(m) = arena.nodes[x].msg {
            return Some(m);
        }
        stack.extend(arena.nodes[x].children.iter().rev().copied());
    }
    None
}

fn subject_of<'a>(arena: &Arena, n: usize, envs: &'a [Envelope]) -> Option<&'a str> {
    first_msg(arena, n).map(|m| envs[m].subject.as_str())
}

/// The grouping key of a subject (lower-cased base subject) and whether it is a reply.
fn subject_key(subject: &str) -> (String, bool) {
    let base = base_subject(subject);
    let key = if base.is_ascii() {
        base.to_ascii_lowercase()
    } else {
        base.to_lowercase()
    };
    (key, is_reply_subject(subject))
}

fn group_by_subject(arena: &mut Arena<'_>, roots: Vec<usize>, envs: &[Envelope]) -> Vec<usize> {
    let keys: Vec<Option<(String, bool)>> = roots
        .iter()
        .map(|&r| subject_of(arena, r, envs).map(subject_key))
        .collect();
    // For each base subject, the root that heads it: a real message over an empty
    // container, and an original over a reply.
    let mut table: FastMap<&str, usize> = FastMap::default();
    for (i, &r) in roots.iter().enumerate() {
        let Some((base, reply)) = &keys[i] else {
            continue;
        };
        if base.is_empty() {
            continue;
        }
        let replace = match table.get(base.as_str()) {
            None => true,
            Some(&old_i) => {
                let old = roots[old_i];
                let old_is_reply = keys[old_i].as_ref().is_none_or(|k| k.1);
                (arena.nodes[r].msg.is_none() && arena.nodes[old].msg.is_some())
                    || (old_is_reply && !reply && arena.nodes[r].msg.is_some())
            }
        };
        if replace {
            table.insert(base.as_str(), i);
        }
    }
    let mut out = Vec::with_capacity(roots.len());
    for (i, &r) in roots.iter().enumerate() {
        let Some((base, reply)) = &keys[i] else {
            out.push(r);
            continue;
        };
        match table.get(base.as_str()).map(|&h| roots[h]) {
            // Only replies (or empty containers) go under a thread head; two unrelated
            // messages with the same subject stay separate threads.
            Some(head) if head != r && (*reply || arena.nodes[r].msg.is_none()) => {
                arena.link(head, r);
                if arena.nodes[r].parent != Some(head) {
                    out.push(r);
                }
            }
            _ => out.push(r),
        }
    }
    out
}

/// The newest date in a subtree.
fn newest_date(arena: &Arena, n: usize, envs: &[Envelope]) -> i64 {
    let mut newest = i64::MIN;
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        if let Some(m) = arena.nodes[x].msg {
            newest = newest.max(envs[m].date);
        }
        stack.extend(arena.nodes[x].children.iter().copied());
    }
    newest
}

/// Appends a thread's rows in display order: children by date, depth first.
fn emit(arena: &Arena, envs: &[Envelope], root: usize, rows: &mut Vec<ThreadRow>) {
    let mut stack = vec![(root, 0u16, true)];
    while let Some((n, depth, last)) = stack.pop() {
        let mut child_depth = depth;
        if let Some(m) = arena.nodes[n].msg {
            rows.push(ThreadRow {
                index: m,
                depth,
                last_child: last,
            });
            child_depth = depth.saturating_add(1);
        }
        let mut kids = arena.nodes[n].children.clone();
        kids.sort_by_key(|&c| first_msg(arena, c).map(|m| envs[m].date).unwrap_or(0));
        let count = kids.len();
        // Pushed in reverse so the oldest child is handled first.
        for (i, c) in kids.into_iter().enumerate().rev() {
            stack.push((c, child_depth, i + 1 == count));
        }
    }
}

/// Rows without threading for `subset`, sorted by `key` (descending when `reverse`).
pub fn flat(envs: &[Envelope], subset: &[usize], key: SortKey, reverse: bool) -> Vec<ThreadRow> {
    let mut idx: Vec<usize> = subset.to_vec();
    idx.sort_by(|&a, &b| {
        let o = key.compare(&envs[a], &envs[b]);
        if reverse { o.reverse() } else { o }
    });
    idx.into_iter()
        .map(|index| ThreadRow {
            index,
            depth: 0,
            last_child: true,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{AccountId, Flags, FolderPath, LocalId};

    fn env(id: &str, subject: &str, date: i64, refs: &[&str], irt: &str) -> Envelope {
        Envelope {
            account: AccountId("a".into()),
            folder: FolderPath::inbox(),
            id: LocalId(id.into()),
            date,
            from: "x".into(),
            from_addr: "x@example.org".into(),
            to: String::new(),
            subject: subject.into(),
            message_id: if id.is_empty() {
                String::new()
            } else {
                format!("<{id}>")
            },
            in_reply_to: irt.into(),
            references: refs.join(" "),
            size: 1,
            flags: Flags::empty(),
            has_attachments: false,
        }
    }

    fn all(envs: &[Envelope]) -> Vec<usize> {
        (0..envs.len()).collect()
    }

    fn shape(envs: &[Envelope], rows: &[ThreadRow]) -> Vec<String> {
        rows.iter()
            .map(|r| format!("{}{}", " ".repeat(r.depth as usize), envs[r.index].id))
            .collect()
    }

    #[test]
    fn references_build_a_tree() {
        let envs = vec![
            env("a", "Plan", 1, &[], ""),
            env("b", "Re: Plan", 2, &["<a>"], "<a>"),
            env("c", "Re: Plan", 3, &["<a>", "<b>"], "<b>"),
            env("d", "Re: Plan", 4, &["<a>"], ""),
            env("e", "Other", 5, &[], ""),
        ];
        let rows = thread(&envs, &all(&envs), SortKey::Date, false);
        assert_eq!(shape(&envs, &rows), vec!["a", " b", "  c", " d", "e"]);
    }

    #[test]
    fn missing_parent_becomes_a_dummy_that_is_pruned() {
        // b and c both reply to a message we do not have.
        let envs = vec![
            env("b", "Re: Lost", 2, &["<gone>"], ""),
            env("c", "Re: Lost", 3, &["<gone>"], ""),
        ];
        let rows = thread(&envs, &all(&envs), SortKey::Date, false);
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r.depth <= 1));
    }

    #[test]
    fn subject_fallback_joins_replies_without_references() {
        let envs = vec![
            env("a", "Lunch?", 1, &[], ""),
            env("b", "Re: Lunch?", 2, &[], ""),
            env("c", "Lunch?", 3, &[], ""),
        ];
        let rows = thread(&envs, &all(&envs), SortKey::Date, false);
        let s = shape(&envs, &rows);
        assert!(s.contains(&" b".to_string()), "{s:?}");
        assert!(
            s.contains(&"c".to_string()),
            "unrelated same subject stays a root: {s:?}"
        );
    }

    #[test]
    fn reference_loops_and_self_references_do_not_hang() {
        let envs = vec![
            env("a", "x", 1, &["<b>"], ""),
            env("b", "y", 2, &["<a>"], ""),
            env("c", "z", 3, &["<c>"], "<c>"),
        ];
        let rows = thread(&envs, &all(&envs), SortKey::Date, false);
        assert_eq!(rows.len(), 3);
    }

    #[test]
    fn duplicate_message_ids_keep_both_messages() {
        let envs = vec![env("a", "x", 1, &[], ""), env("a", "x", 2, &[], "")];
        assert_eq!(thread(&envs, &all(&envs), SortKey::Date, false).len(), 2);
    }

    #[test]
    fn threads_sort_by_newest_activity_descending() {
        let envs = vec![
            env("a", "old thread", 1, &[], ""),
            env("b", "new", 5, &[], ""),
            env("c", "Re: old thread", 9, &["<a>"], ""),
        ];
        let rows = thread(&envs, &all(&envs), SortKey::ThreadActivity, true);
        assert_eq!(shape(&envs, &rows), vec!["a", " c", "b"]);
    }

    #[test]
    fn flat_sort_by_sender_and_size() {
        let mut envs = vec![env("a", "s", 1, &[], ""), env("b", "s", 2, &[], "")];
        envs[0].size = 10;
        envs[1].size = 5;
        let rows = flat(&envs, &all(&envs), SortKey::Size, false);
        assert_eq!(rows[0].index, 1);
    }

    #[test]
    fn a_very_deep_conversation_needs_no_deep_stack() {
        // Each message replies to the previous one, threaded on a 256 KiB stack: every
        // message is shown, and the ancestor walks stay bounded.
        let n = 20_000;
        let envs: Vec<Envelope> = (0..n)
            .map(|i| {
                let mut e = env(&format!("m{i}"), "Re: chain", i as i64, &[], "");
                if i > 0 {
                    e.in_reply_to = format!("<m{}>", i - 1);
                }
                e
            })
            .collect();
        let rows = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || thread(&envs, &all(&envs), SortKey::Date, false))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(rows.len(), n);
        // A refused segment may still be grouped under its thread head by subject.
        assert!(rows.iter().all(|r| (r.depth as usize) <= 2 * MAX_DEPTH + 2));
    }
}
