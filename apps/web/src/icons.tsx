/** Small line icons for the app's own controls (emoji fonts are not everywhere). */
const icon = (path: string) =>
  function Icon() {
    return (
      <svg
        viewBox="0 0 24 24"
        width="16"
        height="16"
        aria-hidden="true"
        fill="none"
        stroke="currentColor"
        strokeWidth="2"
        strokeLinecap="round"
        strokeLinejoin="round"
      >
        <path d={path} />
      </svg>
    )
  }

export const PencilIcon = icon('M4 20h4L19 9l-4-4L4 16v4zM14 6l4 4')
export const TrashIcon = icon('M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13')
export const ClipIcon = icon(
  'M21 12l-8.5 8.5a5 5 0 0 1-7-7L14 5a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 8',
)
export const FileIcon = icon('M6 3h8l4 4v14H6zM14 3v4h4')
export const ChatIcon = icon('M4 5h16v11H8l-4 4z')
export const PinIcon = icon('M9 4h6l-1 6 4 4H6l4-4zM12 14v6')
export const ArchiveIcon = icon('M3 5h18v4H3zM5 9v10h14V9M10 13h4')
