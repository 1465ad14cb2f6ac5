//! Every action a key can trigger, with its config name, its help text and the context
//! it belongs to.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    /// Folder pane and envelope list.
    List,
    /// The message reader.
    Reader,
    /// The compose screen (after the editor returned).
    Compose,
    /// The outbox view.
    Outbox,
}

macro_rules! actions {
    ($($variant:ident $name:literal $ctx:ident $help:literal;)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action { $($variant),* }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name),* }
            }
            pub fn help(self) -> &'static str {
                match self { $(Action::$variant => $help),* }
            }
            pub fn context(self) -> Context {
                match self { $(Action::$variant => Context::$ctx),* }
            }
            pub fn from_name(name: &str) -> Option<Action> {
                Action::ALL.iter().copied().find(|a| a.name() == name)
            }
        }
    };
}

actions! {
    Down "down" List "next message / folder";
    Up "up" List "previous message / folder";
    PageDown "page-down" List "page down";
    PageUp "page-up" List "page up";
    Top "top" List "first message";
    Bottom "bottom" List "last message";
    Open "open" List "open the message or folder";
    FocusSwitch "focus-switch" List "switch between folders and messages";
    NextFolder "next-folder" List "next folder";
    PrevFolder "prev-folder" List "previous folder";
    ToggleRead "toggle-read" List "mark read / unread";
    ToggleFlag "toggle-flag" List "flag / unflag";
    Delete "delete" List "move to Trash";
    Undelete "undelete" List "restore from Trash";
    Archive "archive" List "move to Archive";
    MoveTo "move" List "move to a folder…";
    Tag "tag" List "tag / untag (actions then apply to all tagged)";
    TagThread "tag-thread" List "tag / untag the whole thread";
    ClearTags "clear-tags" List "untag everything";
    Limit "limit" List "limit to matching messages (from: subject: is:unread …)";
    ClearLimit "clear-limit" List "show all messages again";
    Search "search" List "search every folder and account (words, from: body: date: AND OR NOT …)";
    ServerSearch "server-search" List "ask the IMAP servers too (finds text in bodies not fetched)";
    Undo "undo" List "undo the last triage action";
    Sort "sort" List "cycle sort: date, sender, subject, size, thread activity";
    Reverse "reverse" List "reverse the sort order";
    ToggleThreads "toggle-threads" List "threaded / flat list";
    Refresh "refresh" List "rescan the folder";
    CancelSync "cancel-sync" List "stop the running rescan (what it indexed is kept)";
    NewFolder "new-folder" List "create a folder (a/b makes a subfolder)";
    RenameFolder "rename-folder" List "rename the selected folder";
    DeleteFolder "delete-folder" List "delete the selected folder and its messages";
    ToggleSubscribe "toggle-subscribe" List "subscribe / unsubscribe the selected folder";
    EmptyTrash "empty-trash" List "empty the Trash for good (on a Trash folder)";
    GetMail "get-mail" List "get new mail now (POP3 downloads; other accounts rescan INBOX)";
    Notices "notices" List "show the notices log";
    Help "help" List "this help";
    Quit "quit" List "quit";
    ScrollDown "scroll-down" Reader "scroll down";
    ScrollUp "scroll-up" Reader "scroll up";
    ReaderPageDown "reader-page-down" Reader "page down";
    ReaderPageUp "reader-page-up" Reader "page up";
    ReaderTop "reader-top" Reader "top of message";
    ReaderBottom "reader-bottom" Reader "end of message";
    NextMessage "next-message" Reader "next message";
    PrevMessage "prev-message" Reader "previous message";
    ToggleHeaders "toggle-headers" Reader "full headers on / off";
    ToggleHtml "toggle-html" Reader "switch HTML / plain alternative";
    Attachments "attachments" Reader "attachment list on / off";
    SaveAttachment "save-attachment" Reader "save the selected attachment as…";
    ReaderToggleRead "reader-toggle-read" Reader "mark read / unread";
    ReaderToggleFlag "reader-toggle-flag" Reader "flag / unflag";
    ReaderDelete "reader-delete" Reader "move to Trash";
    ReaderArchive "reader-archive" Reader "move to Archive";
    Close "close" Reader "back to the list";
    Compose "compose" List "write a new message";
    Reply "reply" List "reply to the sender";
    ReplyAll "reply-all" List "reply to the sender and every recipient";
    ListReply "list-reply" List "reply to the mailing list (List-Post)";
    Forward "forward" List "forward inline";
    ForwardAttached "forward-attached" List "forward as an attachment";
    ResumeDraft "resume-draft" List "edit a message from the Drafts folder again";
    Outbox "outbox" List "the outbox: messages waiting to be sent";
    CancelArticle "cancel-article" List "cancel your own article in a newsgroup (asks first)";
    Send "send" Compose "send the message";
    EditAgain "edit" Compose "edit the message again";
    Attach "attach" Compose "attach a file…";
    Detach "detach" Compose "remove the selected attachment";
    NextIdentity "identity" Compose "use the next identity (From)";
    Postpone "postpone" Compose "save to Drafts and close";
    Abort "abort" Compose "throw the message away (asks first)";
    EditTo "edit-to" Compose "change To…";
    EditCc "edit-cc" Compose "change Cc…";
    EditBcc "edit-bcc" Compose "change Bcc…";
    EditSubject "edit-subject" Compose "change the Subject…";
    NextAttachment "next-attachment" Compose "select the next attachment";
    PrevAttachment "prev-attachment" Compose "select the previous attachment";
    OutboxDown "outbox-down" Outbox "next entry";
    OutboxUp "outbox-up" Outbox "previous entry";
    OutboxRetry "outbox-retry" Outbox "send the selected entry again now";
    OutboxDelete "outbox-delete" Outbox "delete the selected entry (asks first)";
    OutboxClose "outbox-close" Outbox "back to the list";
    GroupBrowser "group-browser" List "news: every group of the server (filter, subscribe)";
    CatchUp "catch-up" List "news: mark every article of the group read (asks first)";
    MarkThreadRead "mark-thread-read" List "mark the whole thread read";
    NextUnread "next-unread" List "next unread article, in this or the next folder";
}

impl Action {
    /// Newsreader actions that work in the reader too.
    pub fn news_in_reader(self) -> bool {
        matches!(self, Action::NextUnread | Action::MarkThreadRead)
    }

    /// Actions that start composing: bound in the list and in the reader alike.
    pub fn starts_compose(self) -> bool {
        matches!(
            self,
            Action::Compose
                | Action::Reply
                | Action::ReplyAll
                | Action::ListReply
                | Action::Forward
                | Action::ForwardAttached
                | Action::ResumeDraft
                | Action::Outbox
                | Action::CancelArticle
        )
    }
}
