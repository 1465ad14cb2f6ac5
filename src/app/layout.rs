//! Screen geometry, shared by `update` (scrolling, mouse hits) and the UI (drawing):
//! the folder pane on the left, the envelope list or the reader on the right, a status
//! bar at the bottom. Narrow terminals drop the folder pane while reading.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Rect {
    pub x: u16,
    pub y: u16,
    pub width: u16,
    pub height: u16,
}

impl Rect {
    pub fn contains(&self, col: u16, row: u16) -> bool {
        col >= self.x && col < self.x + self.width && row >= self.y && row < self.y + self.height
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Areas {
    pub folders: Rect,
    /// The list's rows (below its header line).
    pub list: Rect,
    pub list_header: Rect,
    /// The reader (when reading: it takes the list's place).
    pub reader: Rect,
    pub status: Rect,
}

pub fn folder_pane_width(width: u16) -> u16 {
    if width >= 120 {
        28
    } else if width >= 60 {
        20
    } else {
        0
    }
}

pub fn areas(width: u16, height: u16, reading: bool) -> Areas {
    let body_h = height.saturating_sub(1);
    let mut fw = folder_pane_width(width);
    if reading && width < 120 {
        fw = 0;
    }
    let main = Rect {
        x: fw,
        y: 0,
        width: width.saturating_sub(fw),
        height: body_h,
    };
    Areas {
        folders: Rect {
            x: 0,
            y: 0,
            width: fw,
            height: body_h,
        },
        list_header: Rect {
            height: 1.min(body_h),
            ..main
        },
        list: Rect {
            y: 1,
            height: body_h.saturating_sub(1),
            ..main
        },
        reader: main,
        status: Rect {
            x: 0,
            y: body_h,
            width,
            height: height.min(1),
        },
    }
}
